"""Coding of open answers: tricky verbatims against the shipped contact frames, first vs any mention,
don't know, blanks, uncoded, nets, and the code frame versions (2020.1 vs 2022.1)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.coding import BLANK, DONT_KNOW, UNCODED, code_answers, code_text
from pipeline.config import CodeFrame

FRAMES = ["contact@2020.1", "contact@2022.1"]


def coded(frame: CodeFrame, text) -> tuple[str | int, list[str]]:
    """(first category key or BLANK/DONT_KNOW/UNCODED, sorted keys of every mention)."""
    keys = [c.key for c in frame.categories]
    first, mentioned = code_text(frame, text)
    return (keys[first] if first >= 0 else first), sorted(keys[i] for i in mentioned)


@pytest.fixture(params=FRAMES)
def contact(project, request) -> CodeFrame:
    return project.codeframes[request.param]


@pytest.mark.parametrize(
    "text, first, mentions",
    [
        ("1177", "1177", ["1177"]),
        ("vårdguiden", "1177", ["1177"]),
        ("Vårdguiden", "1177", ["1177"]),
        ("ringer 1177", "1177", ["1177"]),
        ("Ringer 1177 på telefon", "1177", ["1177", "phone"]),
        ("1 177", "1177", ["1177"]),
        ("1177.se", "1177", ["1177"]),
        ("sjukvårdsupplysningen", "1177", ["1177"]),
        ("vc", "vc_hospital", ["vc_hospital"]),
        ("VC", "vc_hospital", ["vc_hospital"]),
        ("ringer vc", "vc_hospital", ["vc_hospital"]),
        ("vårdcentralen", "vc_hospital", ["vc_hospital"]),
        ("Vårdcentralen", "vc_hospital", ["vc_hospital"]),
        ("googlar", "google", ["google"]),
        ("Googla", "google", ["google"]),
        # "kry appen" is Kry's app: Kry only, not the generic "App" category
        ("kry appen", "kry", ["kry"]),
        ("1177 appen", "1177", ["1177"]),
        ("appen", "app", ["app"]),
        # typos
        ("vårdcentarlen", "vc_hospital", ["vc_hospital"]),
        ("vardcentralen", "vc_hospital", ["vc_hospital"]),
        ("vardguiden", "1177", ["1177"]),
        ("vårguiden", "1177", ["1177"]),
        ("gogle", "google", ["google"]),
        # the number 1177 is not 117/11717 and vice versa
        ("11717", "11717", ["11717"]),
        ("117", "11717", ["11717"]),
        ("11777", UNCODED, []),
        # look-alikes of the doctor category
        ("doktor.se", "doktor_se", ["doktor_se"]),
        ("min doktor", "min_doktor", ["min_doktor"]),
        ("nätläkare", "online_other", ["online_other"]),
        ("läkare", "doctor", ["doctor"]),
    ],
)
def test_tricky_verbatims(contact, text, first, mentions):
    assert coded(contact, text) == (first, mentions)


@pytest.mark.parametrize(
    "text, first, mentions",
    [
        # the first mention is the one that starts first in the text, whatever the category order
        ("Först 1177, sedan vårdcentralen", "1177", ["1177", "vc_hospital"]),
        ("vårdcentralen eller 1177", "vc_hospital", ["1177", "vc_hospital"]),
        ("Vårdcentral/1177", "vc_hospital", ["1177", "vc_hospital"]),
        ("googlar eller ringer 1177", "google", ["1177", "google"]),
        ("kry eller min doktor", "kry", ["kry", "min_doktor"]),
        # the same category twice is one mention
        ("1177, annars 1177.se", "1177", ["1177"]),
    ],
)
def test_several_mentions_in_one_answer(contact, text, first, mentions):
    assert coded(contact, text) == (first, mentions)


@pytest.mark.parametrize("text", ["", "   ", "\t\n", None])
def test_empty_answer_is_blank_not_uncoded(contact, text):
    assert coded(contact, text) == (BLANK, [])


@pytest.mark.parametrize("text", ["vet ej", "Vet ej", "VET EJ", "Vet inte.", "vetej", "ingen aning", " - vet inte - "])
def test_dont_know(contact, text):
    assert coded(contact, text) == (DONT_KNOW, [])


def test_dont_know_only_when_it_is_the_whole_answer(contact):
    """'vet ej' inside a codable answer does not hide the code."""
    assert coded(contact, "1177, vet ej annars") == ("1177", ["1177"])


@pytest.mark.parametrize("text", ["grannen", "ingen", "xyz"])
def test_unmatched_is_uncoded(contact, text):
    assert coded(contact, text) == (UNCODED, [])


def test_livi_exists_only_in_the_2022_frame(project):
    """Livi came into the frame with version 2022.1: coded there, uncoded with 2020.1."""
    assert coded(project.codeframes["contact@2022.1"], "Livi") == ("livi", ["livi"])
    assert coded(project.codeframes["contact@2020.1"], "Livi") == (UNCODED, [])


@pytest.mark.parametrize("key", ["worry@2020.1", "internet@2020.1", "lifestyle@2020.1"])
def test_other_frames_code_the_basics(project, key):
    frame = project.codeframes[key]
    assert coded(frame, "ringer 1177") == ("1177", ["1177"])
    assert coded(frame, "vårdcentralen") == ("vc_hospital", ["vc_hospital"])
    assert coded(frame, "vet ej") == (DONT_KNOW, [])
    assert coded(frame, "") == (BLANK, [])
    assert coded(frame, "grannen") == (UNCODED, [])


def test_code_answers_per_respondent_with_nets(project):
    """code_answers codes each respondent (repeats and blanks included); a net counts a person once."""
    frame = project.codeframes["contact@2022.1"]
    keys = [c.key for c in frame.categories]
    texts = ["1177", None, "kry eller min doktor", "vet ej", "1177", "grannen", "", "Vårdguiden och Livi"]
    out = code_answers(frame, np.array(texts, dtype=object))
    first = [keys[i] if i >= 0 else int(i) for i in out.first]
    assert first == ["1177", BLANK, "kry", DONT_KNOW, "1177", UNCODED, BLANK, "1177"]
    assert out.mentions.shape == (8, len(keys))
    assert out.mentions.sum(axis=1).tolist() == [1, 0, 2, 0, 1, 0, 0, 2]
    assert out.mentions[7, keys.index("livi")]
    # online_doctor = kry, doktor_se, min_doktor, livi, online_other
    assert out.net_mentions("online_doctor").tolist() == [False, False, True, False, False, False, False, True]


def test_code_answers_of_only_blanks(project):
    frame = project.codeframes["contact@2022.1"]
    out = code_answers(frame, np.array([None, "", None], dtype=object))
    assert out.first.tolist() == [BLANK, BLANK, BLANK]
    assert not out.mentions.any()


def _frame(pattern: str) -> CodeFrame:
    return CodeFrame.model_validate({
        "id": "probe", "version": "1",
        "categories": [{"key": "hit", "label": {"sv": "Träff", "en": "Hit"}, "patterns": [pattern]}],
    })


def test_frames_with_the_same_key_do_not_share_compiled_patterns():
    """Two frames named alike (probe@1) but with other patterns code by their own patterns, even when
    the first frame is gone and the second reuses its memory."""
    for i in range(30):
        frame = _frame(f"word{i}\\b")
        assert code_text(frame, f"word{i}") == (0, [0]), i
        assert code_text(frame, f"word{i + 1}")[0] == UNCODED, i
        del frame  # freed at once (reference counting): the next frame may get its id()


def test_first_mention_ties_go_to_the_earlier_category():
    """Two categories matching at the same position: the one listed first in the frame is the first mention."""
    frame = CodeFrame.model_validate({
        "id": "tie", "version": "1",
        "categories": [
            {"key": "a", "label": {"sv": "A", "en": "A"}, "patterns": ["vårdcentral"]},
            {"key": "b", "label": {"sv": "B", "en": "B"}, "patterns": ["vård"]},
        ],
    })
    assert code_text(frame, "vårdcentralen") == (0, [0, 1])


def test_a_categorys_patterns_searched_together_give_the_same_codes_as_one_by_one(monkeypatch):
    """The earliest start over a category's patterns decides the first mention, whether the patterns are
    joined into one alternation (the fast path) or searched separately; mentions are the same too."""
    from pipeline import coding

    frame = CodeFrame.model_validate({
        "id": "joined", "version": "1",
        "categories": [
            {"key": "vc", "label": {"sv": "VC", "en": "PC"}, "patterns": ["sjukhus", "vårdcentral", "\\bvc\\b"]},
            {"key": "web", "label": {"sv": "Webb", "en": "Web"}, "patterns": ["1177\\.se", "internet", "googl"]},
            {"key": "phone", "label": {"sv": "Tel", "en": "Tel"}, "patterns": ["1177(?!\\.se)", "ringer"]},
            {"key": "ref", "label": {"sv": "Ref", "en": "Ref"}, "patterns": ["(ja)\\1", "nej"]},  # group reference: kept apart
        ],
        "dont_know_patterns": ["vet ej", "^\\s*vet inte"],
    })
    texts = ["Ringer 1177 eller googlar", "googlar, sen vårdcentral", "VC eller sjukhus", "1177.se på internet",
             "sjukhuset, ringer VC", "vet inte", "jaja nej", "nej jaja", "ingenting", "", "INTERNET 1177",
             "först vårdcentral sedan 1177.se", "bara vc"]
    joined = [code_text(frame, t) for t in texts]
    assert len(coding._compile(frame).patterns[0]) == 1  # vc: one alternation
    assert len(coding._compile(frame).patterns[3]) == 2  # ref: its \1 needs its own group numbering
    coding._COMPILED.clear()
    monkeypatch.setattr(coding, "_joined", lambda patterns: patterns)
    separate = [code_text(frame, t) for t in texts]
    coding._COMPILED.clear()
    assert joined == separate
    # worked out by hand for a few
    assert joined[0] == (2, [1, 2])  # "Ringer" (phone) at 0 before "googl" (web)
    assert joined[1] == (1, [0, 1])  # "googl" at 0, then "vårdcentral"
    assert joined[5] == (DONT_KNOW, [])
    assert joined[6] == (3, [3])  # "jaja" via (ja)\1
