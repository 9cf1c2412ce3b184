"""Real regression data sets of the paper (Hertrich & Neumayer): lookup, sha256 check, download (pooch), preprocessing."""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import scipy.io

__all__ = [
    "UCIDataset", "UCI_DATASETS", "DataFileError", "DataFileNotFoundError", "DataDownloadError",
    "DATA_DIR_ENV", "DOWNLOAD_URL", "default_data_dir", "uci_names", "uci_dataset_name", "load_uci",
]

#: Environment variable naming the folder that holds the data files.
DATA_DIR_ENV = "GFT_DATA_DIR"
#: Where ``download=True`` fetches ``<file>`` from.
DOWNLOAD_URL = (
    "https://raw.githubusercontent.com/johertrich/generative_feature_training/main/datasets/{file}"
)
DOWNLOAD_TIMEOUT_S = 30.0

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class DataFileError(ValueError):
    """A data file is corrupt (sha256 mismatch), unparsable, or could not be downloaded."""


class DataFileNotFoundError(FileNotFoundError):
    """A data file is not in the data directory (and no download was asked for)."""


class DataDownloadError(DataFileError, ConnectionError):
    """``download=True`` failed (offline, HTTP error, unwritable folder)."""


@dataclass(frozen=True)
class UCIDataset:
    """Registry entry of one real regression data set.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"airfoil"``.
    file_name : str
        File in the data directory.
    sha256 : str
        Expected hex digest of the file (from the data README).
    description : str
        Source and preprocessing in words.
    n_train, n_test : int
        Sizes of the training and test sets.
    n_inputs : int
        Number of input columns returned, including appended noise columns.
    n_noise : int
        Number of appended N(0, 1) noise columns (the last ``n_noise`` columns).
    """

    name: str
    file_name: str
    sha256: str
    description: str
    n_train: int
    n_test: int
    n_inputs: int
    n_noise: int = 0

    @property
    def url(self) -> str:
        """Download URL of :attr:`file_name`."""
        return DOWNLOAD_URL.format(file=self.file_name)


_STD = "; X and y standardised with the training mean/std"
_DATASET_LIST = [
    UCIDataset("propulsion", "propulsion.txt",
               "de0ea69da1efaab8b9655ffed828547d10dd68c1fb8c6e0163e6a988def393a6",
               "UCI naval propulsion, target log(column 1), 400 shuffled rows" + _STD,
               200, 200, 15),
    UCIDataset("galaxy", "lrgReg.mat",
               "8d0e1818c8a48bdd652cab808a0e61ad21d47422c138cdffa5bb2568b1296aff",
               "SDSS luminous red galaxies, no shuffle, X as stored, y = Y / std(training Y)",
               2000, 2000, 20),
    UCIDataset("airfoil", "airfoil.txt",
               "10ee06e6cfb27dae6b44213d421d217012fb1f9b697592e73a4e4016b52d425f",
               "UCI airfoil self-noise, shuffled" + _STD + ", 36 noise columns", 750, 750, 41, 36),
    UCIDataset("ccpp", "ccpp.mat",
               "cbe32aa4607904134dee92e05ee7bfb015f4f43ca5fb8b98683a01d00e533e08",
               "UCI combined cycle power plant, shuffled" + _STD + ", 55 noise columns",
               2000, 2000, 59, 55),
    UCIDataset("telemonitoring", "telemonitoring.txt",
               "b0882639a097390ff494fb7322b99ac2fd04e71d8a199264bfb6a95908c51f13",
               "UCI Parkinsons telemonitoring, column 2 == 0, target total UPDRS" + _STD,
               1000, 867, 19),
    UCIDataset("skillcraft", "skillcraft.txt",
               "47beba0015b8fd93a54a397591a70d28d1974f0cb561b5248e6f479c3f2a800e",
               "UCI SkillCraft1, target column 15 (total map explored)" + _STD, 1700, 1600, 18),
]
#: Data set name -> :class:`UCIDataset`.
UCI_DATASETS: dict[str, UCIDataset] = {dataset.name: dataset for dataset in _DATASET_LIST}
_ALIASES = {"telemonitoring-total": "telemonitoring"}


def uci_dataset_name(name: str) -> str:
    """``name`` as ``UCI_DATASETS`` keys it: lower case, aliases resolved (unknown names pass through)."""
    return _ALIASES.get(name.lower(), name.lower())


def uci_names() -> list[str]:
    """Names of the real data sets, sorted."""
    return sorted(UCI_DATASETS)


def default_data_dir() -> Path:
    """The folder :func:`load_uci` uses when no ``data_dir`` is passed.

    Returns
    -------
    Path
        ``$GFT_DATA_DIR`` if set and non-empty, else the per-user cache folder
        ``$XDG_CACHE_HOME/gft/datasets`` (default ``~/.cache/gft/datasets``).
    """
    return _resolve_data_dir(None)[0]


def _resolve_data_dir(data_dir: str | os.PathLike | None) -> tuple[Path, str]:
    """Return the data folder and a phrase saying where it came from."""
    if data_dir is not None:
        return Path(data_dir).expanduser(), "the data_dir argument"
    from_env = os.environ.get(DATA_DIR_ENV, "")
    if from_env:
        return Path(from_env).expanduser(), f"${DATA_DIR_ENV}"
    xdg_cache = os.environ.get("XDG_CACHE_HOME", "")  # used only if absolute, as XDG asks
    base = Path(xdg_cache) if os.path.isabs(xdg_cache) else Path.home() / ".cache"
    return base / "gft" / "datasets", "the default per-user cache"


_SHA256_CACHE: dict[tuple[str, int, int], str] = {}


def _file_sha256(path: Path) -> str:
    """Hex sha256 of ``path``, cached per (path, mtime, size) within the process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _SHA256_CACHE:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _SHA256_CACHE[key] = digest.hexdigest()
    return _SHA256_CACHE[key]


def _html_hint(path: Path) -> str:
    """A line for error messages if ``path`` starts like an HTML page, else ``""``."""
    with open(path, "rb") as handle:
        if not handle.read(512).lstrip().lower().startswith((b"<!doctype", b"<html")):
            return ""
    return (
        "The file starts like an HTML page ('<!DOCTYPE' / '<html'): it looks like the error page "
        "of a failed download, not the data.\n"
    )


def _sha256_mismatch(summary: str, path: Path, dataset: UCIDataset, actual: str, remedy: str) -> DataFileError:
    """The error for a file at ``path`` whose sha256 is ``actual``, not ``dataset``'s."""
    return DataFileError(
        f"{summary}\n  expected sha256: {dataset.sha256}\n  actual sha256:   {actual}\n"
        + _html_hint(path) + remedy
    )


def _check_sha256(path: Path, dataset: UCIDataset) -> None:
    actual = _file_sha256(path)
    if actual != dataset.sha256:
        raise _sha256_mismatch(
            f"Data file {str(path)!r} for dataset {dataset.name!r} is corrupt (sha256 mismatch).",
            path, dataset, actual,
            f"Replace it with the original file (e.g. delete it and call "
            f"load_uci({dataset.name!r}, download=True), or copy it from {dataset.url}).",
        )


def _download(dataset: UCIDataset, folder: Path) -> Path:
    """Fetch ``dataset.file_name`` into ``folder`` with pooch and verify its sha256 before it
    takes its name, so that a failed or wrong download never looks like the data."""
    target = folder / dataset.file_name
    partial = folder / f".{dataset.file_name}.part"
    how_by_hand = (
        f"Download it by hand from {dataset.url} and place it at {str(target)!r} "
        f"(or pass data_dir= / set ${DATA_DIR_ENV} to a folder that contains it)."
    )
    with warnings.catch_warnings():  # pooch imports tqdm.auto, which warns in a notebook without ipywidgets
        warnings.filterwarnings("ignore", message="IProgress not found")
        import pooch  # only here: importing gft must not import an HTTP stack
        import requests

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # pooch reports the hash of an unverified download: we verify it here
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)  # pooch keeps a file that exists: never an old partial one
        pooch.retrieve(dataset.url, known_hash=None, fname=partial.name, path=folder,
                       progressbar=False, downloader=pooch.HTTPDownloader(timeout=DOWNLOAD_TIMEOUT_S))
        actual = _file_sha256(partial)
        if actual != dataset.sha256:
            raise _sha256_mismatch(
                f"Downloaded {dataset.url} but its sha256 does not match; the file was deleted.",
                partial, dataset, actual, how_by_hand,
            )
        os.replace(partial, target)
    except (OSError, requests.RequestException) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DataDownloadError(
            f"Download of data file {dataset.file_name!r} from {dataset.url} failed: {reason}. "
            + how_by_hand
        ) from exc
    finally:
        logger.setLevel(level)
        partial.unlink(missing_ok=True)
    return target


def _locate(
    dataset: UCIDataset, data_dir: str | os.PathLike | None, download: bool, verify: bool
) -> Path:
    """Return the verified path of the dataset's file, downloading it if asked to."""
    folder, source = _resolve_data_dir(data_dir)
    path = folder / dataset.file_name
    if not path.is_file():
        if not download:
            raise DataFileNotFoundError(
                f"Data file {dataset.file_name!r} for dataset {dataset.name!r} not found in folder "
                f"{str(folder)!r} (from {source}). To provide it, either put the file into that "
                f"folder, point to a folder that holds it (data_dir='<folder>' in Python, "
                f"--data-dir <folder> on the command line, or the environment variable "
                f"{DATA_DIR_ENV}=<folder>), or fetch it from {dataset.url} "
                f"(load_uci({dataset.name!r}, download=True) does that in Python)."
            )
        path = _download(dataset, folder)
    if verify:
        _check_sha256(path, dataset)
    return path


def _parse(
    path: Path, reader: Callable[[Path], np.ndarray], n_columns: int, min_rows: int, what: str
) -> np.ndarray:
    """Run ``reader`` on ``path`` and check the table's shape; any failure is a DataFileError."""
    what = f"{what} with {n_columns} columns and at least {min_rows} rows"
    try:
        table = np.asarray(reader(path), dtype=np.float64)
        table = table.reshape(-1, 1) if table.ndim == 1 else table
        if table.ndim != 2 or table.shape[1] != n_columns or table.shape[0] < min_rows:
            raise ValueError(f"found shape {table.shape}")
    except Exception as exc:  # numpy/scipy raise many types; none may escape bare
        message = f"Could not parse data file {str(path)!r} as {what}: {str(exc).rstrip('.')}."
        raise DataFileError(f"{message}\n{_html_hint(path)}".rstrip()) from exc
    if not np.all(np.isfinite(table)):
        raise DataFileError(f"Data file {str(path)!r} has non-finite values; expected {what}.")
    return table


def _read_text(path: Path, delimiter: str | None, n_columns: int, min_rows: int) -> np.ndarray:
    def reader(text_path: Path) -> np.ndarray:
        return np.loadtxt(text_path, delimiter=delimiter, dtype=np.float64, ndmin=2)

    kind = "comma" if delimiter == "," else "whitespace"
    return _parse(path, reader, n_columns, min_rows, f"{kind}-separated numeric text")


def _read_mat(path: Path, key: str, n_columns: int, min_rows: int) -> np.ndarray:
    def reader(mat_path: Path) -> np.ndarray:
        return scipy.io.loadmat(mat_path, variable_names=[key])[key]  # KeyError if missing

    return _parse(path, reader, n_columns, min_rows, f"a MATLAB file with a variable {key!r}")


def _standardise(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardise columns with the training mean/std (ddof 0).

    A column that is constant on the training rows is centred on that constant
    and not scaled (it becomes exactly zero on the training rows).
    """
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    constant = np.all(train == train[:1], axis=0)
    mean = np.where(constant, train[0], mean)
    std = np.where(constant, 1.0, std)
    return (train - mean) / std, (test - mean) / std


def _split(X: np.ndarray, y: np.ndarray, dataset: UCIDataset, rng: np.random.Generator) -> Arrays:
    """Shuffle, split, standardise X and y with the training statistics, append noise columns."""
    order = rng.permutation(len(y))
    train = order[: dataset.n_train]
    test = order[dataset.n_train : dataset.n_train + dataset.n_test]
    X_train, X_test = _standardise(X[train], X[test])
    y_train, y_test = _standardise(y[train, None], y[test, None])
    if dataset.n_noise:
        X_train = np.hstack([X_train, rng.standard_normal((dataset.n_train, dataset.n_noise))])
        X_test = np.hstack([X_test, rng.standard_normal((dataset.n_test, dataset.n_noise))])
    return X_train, y_train[:, 0], X_test, y_test[:, 0]


# Text files: name -> (delimiter, number of columns, input columns, target column), all 0-based.
_TEXT_LAYOUTS: dict[str, tuple[str | None, int, list[int], int]] = {
    "propulsion": (None, 18, [*range(2, 8), *range(9, 18)], 1),
    "airfoil": (None, 6, [*range(5)], 5),
    "telemonitoring": (",", 22, [1, 3, 4, *range(6, 22)], 5),
    "skillcraft": (",", 20, [*range(1, 15), *range(16, 20)], 15),
}


def _prepare(path: Path, dataset: UCIDataset, rng: np.random.Generator) -> Arrays:
    """Read ``path`` and apply the dataset's preprocessing (see :func:`load_uci`)."""
    n_rows = dataset.n_train + dataset.n_test
    if dataset.name in ("galaxy", "ccpp"):
        x_key, y_key = ("X", "Y") if dataset.name == "galaxy" else ("XTrain", "YTrain")
        n_columns = dataset.n_inputs - dataset.n_noise
        X = _read_mat(path, x_key, n_columns, n_rows)
        y = _read_mat(path, y_key, 1, n_rows)[:, 0]
        if len(y) != len(X):
            message = f"{x_key} has {len(X)} rows but {y_key} has {len(y)}"
            raise DataFileError(f"Data file {str(path)!r}: {message}.")
        if dataset.name == "ccpp":
            return _split(X, y, dataset, rng)
        n, scale = dataset.n_train, y[: dataset.n_train].std()
        return X[:n].copy(), y[:n] / scale, X[n:n_rows].copy(), y[n:n_rows] / scale
    delimiter, n_columns, inputs, target = _TEXT_LAYOUTS[dataset.name]
    table = _read_text(path, delimiter, n_columns, n_rows)
    if dataset.name == "telemonitoring":
        table = table[table[:, 2] == 0]
        if len(table) < n_rows:
            message = f"only {len(table)} rows with column 2 == 0"
            raise DataFileError(f"Data file {str(path)!r}: {message}.")
    y = table[:, target]
    if dataset.name == "propulsion":  # shuffle + first 400 rows = _split's permutation
        if np.any(y <= 0):
            raise DataFileError(f"Data file {str(path)!r}: column {target} must be > 0 (log).")
        y = np.log(y)
    return _split(table[:, inputs], y, dataset, rng)


def load_uci(
    name: str,
    data_dir: str | os.PathLike | None = None,
    seed: int = 0,
    download: bool = False,
    *,
    verify: bool = True,
) -> Arrays:
    """Load one real regression data set with the paper's preprocessing (chapter 06).

    With ``rng = np.random.default_rng(seed)`` the row permutation is drawn
    first, then the training and then the test noise columns. Inputs and labels
    are standardised with the training mean and (ddof 0) std; a column constant
    on the training rows (propulsion's column 11) is centred but not scaled.
    ``galaxy`` ignores ``seed``: no shuffle, no noise, X as stored and
    ``y = Y / std(Y[:2000])`` (std over the training rows, no centring).

    Parameters
    ----------
    name : str
        One of :func:`uci_names` (case-insensitive).
    data_dir : str or path-like, optional
        Folder holding the files. Default: ``$GFT_DATA_DIR``, else
        ``$XDG_CACHE_HOME/gft/datasets`` (``~/.cache/gft/datasets``).
    seed : int, default 0
        Seed of the shuffle and of the noise columns.
    download : bool, default False
        If the file is missing, fetch it from :data:`DOWNLOAD_URL` into the
        data folder (never done unless asked).
    verify : bool, default True
        Check the file's sha256 before parsing (internal; tests turn it off to
        exercise the parse errors).

    Returns
    -------
    X_train : ndarray, shape (n_train, n_inputs), float64
    y_train : ndarray, shape (n_train,), float64
    X_test : ndarray, shape (n_test, n_inputs), float64
    y_test : ndarray, shape (n_test,), float64

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names.
    DataFileNotFoundError
        If the file is missing and ``download`` is false.
    DataFileError
        If the file's sha256 differs from the registry's or it cannot be parsed.
    DataDownloadError
        If ``download=True`` and the download fails.
    """
    key = uci_dataset_name(name) if isinstance(name, str) else name
    if key not in UCI_DATASETS:
        raise ValueError(f"Unknown dataset {name!r}. Must be one of {uci_names()}")
    dataset = UCI_DATASETS[key]
    path = _locate(dataset, data_dir, download, verify)
    rng = np.random.default_rng(seed)
    return _prepare(path, dataset, rng)
