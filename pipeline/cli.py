"""Command-line interface: ``survey-deck`` (also ``python -m pipeline``).

The only module that prints errors and exits, and the only thing it does
besides parsing arguments: every command calls one entry point of
:mod:`pipeline.report` and prints what it returns. A user mistake raises a
:class:`~pipeline.errors.PipelineError`; here it becomes one line on stderr,
``Error: …``, and exit code 1 (2 for wrong command-line usage), with the
traceback only under ``--debug``. ``pipeline.report`` imports the heavy
libraries only where a stage needs them, so ``--help`` answers at once.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline import report as run
from pipeline.errors import PipelineError

app = typer.Typer(
    name="survey-deck",
    help=(
        "Turn survey waves into a weighted, tested, branded slide deck.\n\n"
        "Typical use: `survey-deck report --survey NAME` builds the deck of the survey configured in config/NAME "
        "from its wave files (files.waves in its survey.yaml) into output/. See README.md, docs/config.md and docs/data-format.md."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help=(
    "Config folder with survey.yaml, codebook.yaml, targets.yaml, deck.yaml (default: config/<--survey>, or config/ itself "
    "when it holds survey.yaml)."))]
SurveyOpt = Annotated[str | None, typer.Option("--survey", "-s", envvar="SURVEY_DECK_SURVEY", help=(
    "The survey to use, by the name of its folder in config/ (e.g. config/NAME/survey.yaml); needed when config/ holds several."))]
DataOpt = Annotated[Path | None, typer.Option(
    "--data", "-d", help="Folder with one wave file per year (default: files.waves in survey.yaml).")]
DEFAULT_CONFIG: Path | None = Path(os.environ["SURVEY_DECK_CONFIG"]) if os.environ.get("SURVEY_DECK_CONFIG") else None

_state = {"debug": False, "quiet": False, "verbose": False}


def _setup_logging() -> None:
    logging.basicConfig(level=logging.ERROR if _state["quiet"] else logging.WARNING, format="%(levelname)s: %(message)s",
                        stream=sys.stderr, force=True)
    if _state["verbose"]:
        logging.getLogger("pipeline").setLevel(logging.INFO)


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the final result.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print progress details and stage timings.")] = False,
) -> None:
    """Options that apply to every command."""
    _state.update(debug=debug, quiet=quiet, verbose=verbose)
    _setup_logging()


def _echo(message: str) -> None:
    if not _state["quiet"]:
        typer.echo(message)


class _Progress:
    """A progress bar on a terminal (quiet in CI, when piped, or with --quiet)."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty() and not os.environ.get("CI") and not _state["quiet"]
        self.bar: Any = None  # a rich Progress while shown
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                transient=True)
            self.bar.start()
        return self

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.bar is None:
            return
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage, total=total or 1)
        self.bar.update(self.tasks[stage], completed=done, total=total or 1)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


@app.command()
def report(
    config: ConfigOpt = DEFAULT_CONFIG,
    survey: SurveyOpt = None,
    data: DataOpt = None,
    wave: Annotated[int | None, typer.Option(help="Report wave (year); default: the newest wave file.")] = None,
    lang: Annotated[str | None, typer.Option(
        help="Deck language, one of report.languages in survey.yaml; as shipped sv (default) or en.")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: report.output_dir in survey.yaml).")] = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if the outputs are up to date.")] = False,
    jobs: Annotated[int | None, typer.Option(help="Processes for chart rendering (default: all cores).")] = None,
    strict: Annotated[bool, typer.Option("--strict", help=(
        "A sentence whose claim the data do not support is an error "
        "(default: neutral form and a warning; also report.strict in survey.yaml)."))] = False,
    charts: Annotated[str | None, typer.Option(
        help="Charts as 'picture' (300 dpi images) or 'native' (PowerPoint charts with editable data); "
             "default: charts in deck.yaml.")] = None,
) -> None:
    """Build the deck (.pptx), its crosstab workbook (.xlsx), chart images and an audit manifest.

    Every figure is computed from the wave files: weighted by sex and age to the
    population targets, with linearized standard errors and significance against
    the previous wave. The workbook is in the deck's language (see `tables --help`); the
    manifest hashes every input and config file and records the code, the command and the
    package versions (set SOURCE_DATE_EPOCH for byte-identical reruns). Outputs replace
    the previous ones only if the whole run succeeds.
    """
    with _Progress() as progress:
        result = run.run_report(run.config_folder(config, survey), data, wave, lang, out, force=force, jobs=jobs, progress=progress,
                                strict=strict or None, charts=charts)
    if result.up_to_date:
        _echo(f"Up to date (inputs unchanged): {result.deck}")
    else:
        _echo(f"Wrote {result.slides} slides: {result.deck}")
        _echo(f"Tables: {result.tables}")
        if result.form == "native":
            _echo("Charts: native PowerPoint charts in the deck (no images drawn)")
        else:
            _echo(f"Charts: {result.charts}/ ({result.rendered} rendered, {result.reused} reused)")
        _echo(f"Manifest: {result.manifest}")
    for w in result.warnings:
        _echo(f"Warning: {w}")
    if _state["verbose"]:
        _echo("Timings (s): " + ", ".join(f"{k} {v:.2f}" for k, v in result.timings.items()))
        if result.memory:
            _echo("Peak memory after each stage (MiB): " + ", ".join(f"{k} {v:.0f}" for k, v in result.memory.items()))
    if _state["quiet"]:
        typer.echo(str(result.deck))


@app.command()
def refresh(
    deck: Annotated[Path, typer.Argument(help="A deck made by survey-deck report and edited by hand (.pptx).")],
    config: ConfigOpt = DEFAULT_CONFIG,
    survey: SurveyOpt = None,
    data: DataOpt = None,
    wave: Annotated[int | None, typer.Option(help="Wave (year) whose numbers go in; default: the newest wave file.")] = None,
    lang: Annotated[str | None, typer.Option(help="Deck language, one of report.languages (default report.lang).")] = None,
    out: Annotated[Path | None, typer.Option(help="The refreshed deck (default: DECK-<wave>.pptx beside DECK).")] = None,
    jobs: Annotated[int | None, typer.Option(help="Processes for chart pictures (default: all cores).")] = None,
) -> None:
    """Put this wave's numbers into a deck someone has edited, keeping their edits.

    Chart data and computed texts are updated in place; moved, resized or recoloured charts, reordered,
    added or deleted slides and texts rewritten by hand are kept. Slides are matched by the ids the
    report stored in the deck. Each slide is listed as updated, kept or skipped, with the reason.
    """
    result = run.run_refresh(deck, run.config_folder(config, survey), data, wave, lang, out, jobs)
    for slide, status, reason in result.slides:
        _echo(f"{slide:<10} {status:<8} {reason}")
    for line in result.not_updated:
        _echo(f"Not updated: {line}")
    for w in result.warnings:
        _echo(f"Warning: {w}")
    _echo(f"Wrote {result.deck}")


@app.command()
def tables(
    out: Annotated[Path, typer.Option(help=(
        "Output file: .xlsx (the crosstab workbook: a crosstab sheet per slide, all figures, weighting, guide) "
        "or .csv (one long table); with --question, that question's crosstab."))],
    config: ConfigOpt = DEFAULT_CONFIG,
    survey: SurveyOpt = None,
    data: DataOpt = None,
    wave: Annotated[int | None, typer.Option(help="Report wave (default: newest).")] = None,
    lang: Annotated[str | None, typer.Option(help=(
        "Language of labels, sheet names and the guide: one of report.languages (as shipped sv or en; default report.lang)."))] = None,
    question: Annotated[str | None, typer.Option(help=(
        "Tabulate this codebook question (its id, e.g. recommend) instead of the deck's slides."))] = None,
    by: Annotated[str | None, typer.Option(help=(
        "With --question: the banner, grouping variables separated by commas (sex, age_group, region or a "
        "single-choice question); cross two with *, e.g. --by 'sex,age_group,sex*age_group'. Default: the total only."))] = None,
) -> None:
    """Write the deck's tables, or one question's crosstab by a banner of your choice.

    Crosstabs read like SPSS Custom Tables: categories down, the wave total and the subgroups across with
    column letters, unweighted, weighted and effective bases, letters where columns differ significantly
    (statistics.alpha, corrected as statistics.multiple_comparisons says) and ▲/▼ against the previous wave.
    Everything is weighted as in the deck. Example: survey-deck tables --question recommend --by 'sex*age_group' --out nps.xlsx
    """
    result = run.run_tables(out, run.config_folder(config, survey), data, wave, lang, question=question, by=by)
    if result.question is not None:
        banner = ", ".join(result.by) if result.by else "the total"
        _echo(f"Wrote the crosstab of {result.question} by {banner} ({result.rows} rows × {result.columns} columns): {result.path}")
    else:
        _echo(f"Wrote {result.rows} rows for {result.slides} slides: {result.path}")


@app.command()
def weights(
    wave: Annotated[int, typer.Option(help="Wave (year) to weight.")],
    out: Annotated[Path, typer.Option(help="CSV with one row per respondent: respondent_id, wave, sex, age_group, weight.")],
    config: ConfigOpt = DEFAULT_CONFIG,
    survey: SurveyOpt = None,
    data: DataOpt = None,
    targets_out: Annotated[Path | None, typer.Option(
        "--targets-out", help="Also write the targets used: variable, category, share.")] = None,
) -> None:
    """Weight one wave and write its weights (and optionally the targets used).

    Weights are raked (or post-stratified, per survey.yaml) to the wave year's
    population targets and scaled to mean 1. The diagnostics (Kish efficiency,
    effective n, design effect, weight range) are printed.
    """
    result = run.run_weights(run.config_folder(config, survey), wave, out, data, targets_out)
    d = result.diagnostics
    _echo(
        f"Wave {wave}: {d.n} respondents, {d.method} on {' + '.join(d.variables)} in {d.iterations} iterations; "
        f"Kish efficiency {d.efficiency:.1%}, effective n {d.n_effective:.0f}, design effect {d.deff:.3f}, "
        f"weights {d.min_weight:.3f}–{d.max_weight:.3f} (ratio {d.ratio:.2f}), capped {d.capped_low + d.capped_high}"
    )
    _echo(f"Wrote {out}" + (f" and {targets_out}" if targets_out else ""))


@app.command()
def validate(
    config: ConfigOpt = DEFAULT_CONFIG,
    survey: SurveyOpt = None,
    data: DataOpt = None,
    wave: Annotated[int | None, typer.Option(help="Report wave (year) to check; default: as report (the newest wave file).")] = None,
) -> None:
    """Dry-run the report without drawing or writing anything; list every problem found.

    Checks the config, every wave file, the weighting of every wave, every metric and chart
    of every slide, every text in every language and the output names.
    """
    problems, checked = run.run_validate(run.config_folder(config, survey), data, wave)
    for p in problems:
        typer.echo(f"Error: {' '.join(p.split())}", err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s) found in {checked}.", err=True)
        raise typer.Exit(1)
    _echo(f"OK: {checked} checked, no problems found.")


@app.command()
def synth(
    config: ConfigOpt = DEFAULT_CONFIG,
    survey: SurveyOpt = None,
    model: Annotated[Path | None, typer.Option(
        help="Population model (YAML) the sample waves are drawn from (default: files.synth in survey.yaml).")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for the generated wave files (default: files.waves in survey.yaml).")] = None,
    wave: Annotated[list[int] | None, typer.Option(help="Only these waves (repeatable); default: all in the model.")] = None,
    missing: Annotated[bool, typer.Option("--missing", help=(
        "Only the waves whose file is missing (nothing to do for a survey without a model); `make report` uses it."))] = False,
    scale: Annotated[float, typer.Option(help=(
        "Draw waves of this fraction of the model's size, NPS targets kept (ratings models only), e.g. 0.02 for tests."))] = 1.0,
) -> None:
    """Generate the sample waves (seeded, deterministic) from the survey's population model.

    The model (files.synth in survey.yaml) says what the synthetic respondents answer; the same
    model gives the same files, byte for byte. Real wave files are never overwritten by --missing.
    """
    for path in run.run_synth(run.config_folder(config, survey), model, out, wave, missing_only=missing, scale=scale):
        _echo(f"Wrote {path}")


def _usage_error(exc: Exception) -> int:
    """Print a command-line usage error as one ``Error:`` line with a pointer to ``--help``; return its exit code (2)."""
    # exc is click's usage error, recognised by its attributes (main checks them with hasattr), hence the type: ignores
    if type(exc).__name__ == "NoArgsIsHelpError":  # bare `survey-deck`: show the help
        exc.show()  # type: ignore[attr-defined]  # click's exceptions, typed as a bare Exception here
        return int(exc.exit_code)  # type: ignore[attr-defined]  # click's exceptions, typed as a bare Exception here
    message = " ".join(exc.format_message().split()).rstrip(".")  # type: ignore[attr-defined]  # click's exceptions, typed as a bare Exception here
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "survey-deck"
    typer.echo(f"Error: {message}. Run '{command} --help' to see the options.", err=True)
    return int(exc.exit_code)  # type: ignore[attr-defined]  # click's exceptions, typed as a bare Exception here


def _interrupted() -> None:
    """Ctrl-C: one line and exit code 130 (the run's temporary files were already removed)."""
    typer.echo("Interrupted; the previous outputs are unchanged.", err=True)
    sys.exit(130)


def main() -> None:
    """Entry point: run the app, turning user errors into one line and an exit code."""
    debug = "--debug" in sys.argv
    try:
        code = app(standalone_mode=False)
        if code == 130:  # typer turns Ctrl-C into a silent return of 130
            _interrupted()
        if isinstance(code, int) and code:
            sys.exit(code)
    except PipelineError as exc:
        if debug:
            raise
        typer.echo(f"Error: {' '.join(str(exc).split())}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        _interrupted()
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        sys.exit(1)
    except Exception as exc:  # command-line usage errors arrive here when standalone_mode is off
        if hasattr(exc, "format_message") and getattr(exc, "exit_code", None) == 2:
            sys.exit(_usage_error(exc))
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(exc.exit_code)
        if debug:
            raise
        typer.echo(f"Error: internal error ({type(exc).__name__}: {exc}); rerun with --debug and report it", err=True)
        sys.exit(3)


if __name__ == "__main__":
    main()
