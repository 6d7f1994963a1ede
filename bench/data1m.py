"""Synthetic large waves for the benchmarks: the shipped 2022 wave resampled to N respondents.

``survey-deck synth`` draws each wave with the size fixed in ``data/synth/model.yaml`` and
allocates answers cell by cell with exact-count selection, which is not built for a
million rows. For a load test we only need a wave that is valid, realistic in its column
types and blank patterns, and big; so :func:`make_big_data_dir` resamples the rows of the
shipped 2022 wave (with replacement, one seeded ``numpy`` generator, so the file is the same
every time), gives them new unique respondent ids and writes it as Parquet (or CSV) into a
data folder next to copies of the other shipped waves (the deck's trends need them).

Run alone: ``.venv/bin/python bench/data1m.py OUT_DIR [--n 1000000] [--format parquet|csv]``.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
WAVES = REPO / "data" / "1177" / "waves"
SEED = 20221177


def read_source(year: int = 2022) -> pd.DataFrame:
    """The shipped wave as an exporter would hold it: numbers numeric (NaN for blanks), texts as text."""
    return pd.read_csv(WAVES / f"{year}.csv", keep_default_na=False, na_values=[""])


def sample_rows(source_rows: int, n: int, seed: int = SEED) -> np.ndarray:
    """Which source row each of the ``n`` new respondents copies (seeded, so always the same)."""
    return np.random.default_rng(seed).integers(0, source_rows, size=n)


def resample(source: pd.DataFrame, n: int, seed: int = SEED) -> pd.DataFrame:
    """``n`` rows drawn with replacement from ``source``, with new unique respondent ids."""
    big = source.iloc[sample_rows(len(source), n, seed)].reset_index(drop=True)
    big["respondent_id"] = np.arange(50_000_000, 50_000_000 + n, dtype=np.int64)
    return big


def write_wave(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, compression="snappy")
    else:
        frame.to_csv(path, index=False, lineterminator="\n")
    return path


def make_big_data_dir(out_dir: Path, n: int = 1_000_000, fmt: str = "parquet", year: int = 2022) -> Path:
    """A waves folder with the shipped waves before ``year`` and a resampled ``year`` wave of ``n`` rows.

    Reuses an existing file of the same size and format (the generator is deterministic).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in sorted(WAVES.glob("*.csv")):
        if int(path.stem) < year:
            shutil.copyfile(path, out_dir / path.name)
    target = out_dir / f"{year}.{fmt}"
    stamp = out_dir / f".{year}.{fmt}.n"
    if target.exists() and stamp.exists() and stamp.read_text() == f"{n} {SEED}":
        return out_dir
    for stale in out_dir.glob(f"{year}.*"):
        stale.unlink()
    write_wave(resample(read_source(year), n), target)
    stamp.write_text(f"{n} {SEED}")
    return out_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    args = parser.parse_args()
    print(make_big_data_dir(args.out_dir, args.n, args.format))


if __name__ == "__main__":
    main()
