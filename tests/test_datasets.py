"""Tests of gft.datasets: synthetic settings, UCI loading, verification, download and errors."""

from __future__ import annotations

import hashlib
import importlib.util
import math
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from conftest import uci_data_dir

REPO = Path(__file__).resolve().parents[1]
DATA, NO_DATA_REASON = uci_data_dir()  # $GFT_DATA_DIR

try:
    from gft import datasets
    from gft.datasets import uci
except Exception:  # gft/__init__.py may be mid-edit elsewhere; load this subpackage on its own
    _spec = importlib.util.spec_from_file_location(
        "gft_datasets_isolated",
        REPO / "gft" / "datasets" / "__init__.py",
        submodule_search_locations=[str(REPO / "gft" / "datasets")],
    )
    datasets = importlib.util.module_from_spec(_spec)
    sys.modules[_spec.name] = datasets
    _spec.loader.exec_module(datasets)
    uci = sys.modules["gft_datasets_isolated.uci"]

requires_data = pytest.mark.skipif(DATA is None, reason=NO_DATA_REASON)

SETTING_TABLE = [  # name, id, d, M (the paper's settings; chapter 04)
    ("polynomial-d5", 0, 5, 300),
    ("polynomial-d10", 1, 10, 500),
    ("ishigami-d5", 2, 5, 500),
    ("ishigami-d10", 3, 10, 1000),
    ("friedman1-d5", 4, 5, 500),
    ("friedman1-d10", 5, 10, 200),
    ("kreuz", 6, 2, 2000),
    ("kreuz-rotated", 7, 2, 2000),
    ("kreuz-sheared", 8, 2, 2000),
    ("sin-sum-d10", 9, 10, 1000),
    ("shifted-norm-d20", 10, 20, 1000),
    ("sqrt-friedman1-d5", 11, 5, 500),
]
UCI_TABLE = [  # name, n_train, n_test, n_inputs incl. noise, n_noise, X standardised
    ("propulsion", 200, 200, 15, 0, True),
    ("galaxy", 2000, 2000, 20, 0, False),
    ("airfoil", 750, 750, 41, 36, True),
    ("ccpp", 2000, 2000, 59, 55, True),
    ("telemonitoring", 1000, 867, 19, 0, True),
    ("skillcraft", 1700, 1600, 18, 0, True),
]
SHUFFLED = ["propulsion", "airfoil", "ccpp", "telemonitoring", "skillcraft"]

SIN1 = math.sin(1.0)
HALF_SQRT2 = math.sqrt(2.0) / 2.0
# Hand-computed values: friedman1(0.5, ...) = 10 sin(pi/4) + 0 + 5 + 2.5; ishigami(0.5, ...) =
# sin .5 + 7 sin^2 .5 + 0.1 * .5^4 sin .5; kreuz(0, 0) = sin 1 + cos 0; kreuz(.5, .5) =
# sin(pi + 1) + cos(2.25 pi) = -sin 1 + sqrt2/2; x A = (1, 0) for x = (sqrt2/2, sqrt2/2) and the
# rotation, x A = (.5, .5) for x = (.5/1.3, .5/1.3) and the shear; sin-sum(.5, ...) = sin 5 + 2.5^2.
KNOWN_VALUES = [
    ("polynomial-d5", 0.5, 0.25 + 0.25 + 0.25 + 0.5),
    ("polynomial-d10", 1.0, 4.0),
    ("ishigami-d5", 0.5, 2.0913638776819886),
    ("ishigami-d10", 0.0, 0.0),
    ("friedman1-d5", 0.5, 14.571067811865476),
    ("friedman1-d10", 0.0, 5.0),
    ("kreuz", 0.0, 1.0 + SIN1),
    ("kreuz", 0.5, -SIN1 + HALF_SQRT2),
    ("kreuz-rotated", HALF_SQRT2, 1.0 + SIN1),
    ("kreuz-rotated", 0.0, 1.0 + SIN1),
    ("kreuz-sheared", 0.0, 1.0 + SIN1),
    ("kreuz-sheared", 0.5 / 1.3, -SIN1 + HALF_SQRT2),
    ("sin-sum-d10", 0.5, math.sin(5.0) + 6.25),
    ("shifted-norm-d20", 0.5, 0.0),
    ("shifted-norm-d20", 1.0, math.sqrt(10.0)),
    ("sqrt-friedman1-d5", 0.5, math.sqrt(14.571067811865476)),
]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------- synthetic settings


def test_setting_registry_matches_spec_table():
    assert datasets.setting_names() == [row[0] for row in SETTING_TABLE]
    for name, setting_id, d, n_train in SETTING_TABLE:
        setting = datasets.SETTINGS[name]
        assert (setting.name, setting.id, setting.d, setting.n_train) == (name, setting_id, d, n_train)
        assert setting.n_test == n_train and setting.description
        assert datasets.ID_TO_SETTING[setting_id] is setting


@pytest.mark.parametrize("name,setting_id,d,n_train", SETTING_TABLE)
def test_setting_shapes_and_ranges(name, setting_id, d, n_train):
    X_train, y_train, X_test, y_test = datasets.load_setting(name, seed=3)
    assert X_train.shape == X_test.shape == (n_train, d)
    assert y_train.shape == y_test.shape == (n_train,)
    for array in (X_train, y_train, X_test, y_test):
        assert array.dtype == np.float64 and np.all(np.isfinite(array))
    assert X_train.min() >= 0.0 and X_train.max() <= 1.0 and X_test.min() >= 0.0
    assert X_test.max() <= 1.0 and not np.array_equal(X_train, X_test)
    function = datasets.SETTINGS[name].function
    np.testing.assert_array_equal(y_train, function(X_train))
    np.testing.assert_array_equal(y_test, function(X_test))


@pytest.mark.parametrize("name,coordinate,expected", KNOWN_VALUES)
def test_setting_function_known_values(name, coordinate, expected):
    setting = datasets.SETTINGS[name]
    X = np.full((3, setting.d), coordinate)
    np.testing.assert_allclose(setting.function(X), expected, rtol=1e-12, atol=1e-12)


FRIEDMAN1_AT_TENTHS = 10 * math.sin(0.02 * math.pi) + 20 * 0.2**2 + 10 * 0.4 + 5 * 0.5
# x_i = i / 10 (x_i = i / 20 for d = 20): every coordinate distinct, so a formula that reads the
# wrong input (x5 for x4, x3 for x2) fails, which equal coordinates cannot show
DISTINCT_VALUES = [
    ("polynomial-d5", 0.4**2 + 0.2 * 0.3 + 0.1 * 0.2 + 0.4),
    ("polynomial-d10", 0.4**2 + 0.2 * 0.3 + 0.1 * 0.2 + 0.4),
    ("ishigami-d5", math.sin(0.1) + 7 * math.sin(0.2) ** 2 + 0.1 * 0.3**4 * math.sin(0.1)),
    ("ishigami-d10", math.sin(0.1) + 7 * math.sin(0.2) ** 2 + 0.1 * 0.3**4 * math.sin(0.1)),
    ("friedman1-d5", FRIEDMAN1_AT_TENTHS),
    ("friedman1-d10", FRIEDMAN1_AT_TENTHS),
    ("sin-sum-d10", math.sin(5.5) + 3.85**2),  # sum of i/10 is 5.5, of (i/10)^2 is 3.85
    ("shifted-norm-d20", math.sqrt(5.0)),  # sum over i of |i/20 - 1/2| = (45 + 55) / 20
    ("sqrt-friedman1-d5", math.sqrt(FRIEDMAN1_AT_TENTHS)),
]


@pytest.mark.parametrize("name,expected", DISTINCT_VALUES)
def test_setting_function_at_distinct_coordinates(name, expected):
    d = datasets.SETTINGS[name].d
    x = np.arange(1, d + 1) / (20 if d == 20 else 10)
    np.testing.assert_allclose(datasets.SETTINGS[name].function(x[None, :]), expected, rtol=1e-13)


def test_kreuz_variants_at_points_they_map_to_known_values():
    """Hand-computed values: x A lands on (1/2, 0) or (0, 1/2), where kreuz has a closed form."""
    c, s1 = math.cos(math.pi / 4), math.sin(1.0)
    # x A = (1/2, 0): sin(pi + 1) + cos 0 = 1 - sin 1; A x would give (0, 1/2) and sin 1 + c
    np.testing.assert_allclose(datasets.kreuz_rotated(np.array([[c / 2, c / 2]])), [1 - s1], rtol=1e-14)
    # x A = (0, 1/2): sin 1 + cos(4 pi (1/16 + 1/2)) = sin 1 + cos(pi/4)
    np.testing.assert_allclose(datasets.kreuz_rotated(np.array([[-c / 2, c / 2]])), [s1 + c], rtol=1e-14)
    # the shear [[1, .3], [.3, 1]] maps (1, -.3) / .91 to (1, 0): sin(4 pi + 1) + cos 0
    np.testing.assert_allclose(datasets.kreuz_sheared(np.array([[1 / 0.91, -0.3 / 0.91]])), [s1 + 1],
                               rtol=1e-13)


def test_kreuz_rotated_is_kreuz_after_rotating_the_inputs_back():
    """A rotation: kreuz_rotated(x R^T) = kreuz(x) for any x, since R R^T = I."""
    x = np.random.default_rng(0).random((50, 2))
    np.testing.assert_allclose(datasets.kreuz_rotated(x @ datasets.ROTATION_PI_4.T), datasets.kreuz(x),
                               rtol=1e-12, atol=1e-12)


def test_functions_work_on_a_grid_and_reject_bad_shapes():
    grid = np.stack(np.meshgrid(np.linspace(0, 1, 7), np.linspace(0, 1, 5)), axis=-1).reshape(-1, 2)
    assert datasets.SETTINGS["kreuz-sheared"].function(grid).shape == (35,)
    with pytest.raises(ValueError, match="d >= 5"):
        datasets.friedman1(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="shape"):
        datasets.sin_sum(np.zeros(10))


def test_noise_changes_only_training_labels():
    clean = datasets.load_setting("friedman1-d5", seed=1)
    noisy = datasets.load_setting("friedman1-d5", seed=1, noise=0.5)
    np.testing.assert_array_equal(noisy[0], clean[0])
    np.testing.assert_array_equal(noisy[2], clean[2])
    np.testing.assert_array_equal(noisy[3], clean[3])
    residual = noisy[1] - clean[1]
    assert 0.4 < residual.std() < 0.6 and abs(residual.mean()) < 0.1
    with pytest.raises(ValueError, match="noise"):
        datasets.load_setting("friedman1-d5", noise=-1.0)


def test_setting_seeds_and_integer_ids():
    first = datasets.load_setting("kreuz", seed=7)
    for array, again in zip(first, datasets.load_setting(6, seed=7)):
        np.testing.assert_array_equal(array, again)
    for array, other_seed in zip(first, datasets.load_setting("kreuz", seed=8)):
        assert not np.array_equal(array, other_seed)
    assert datasets.get_setting(11).name == "sqrt-friedman1-d5"


@pytest.mark.parametrize("bad", ["friedman", 12, -1, True])
def test_unknown_setting_lists_valid_names(bad):
    with pytest.raises(ValueError, match=r"Unknown setting .*polynomial-d5.*sqrt-friedman1-d5"):
        datasets.load_setting(bad)


# ----------------------------------------------------------------------------- UCI data sets


@requires_data
@pytest.mark.parametrize("name,n_train,n_test,n_inputs,n_noise,standardised", UCI_TABLE)
def test_uci_shapes_and_standardisation(name, n_train, n_test, n_inputs, n_noise, standardised):
    info = datasets.UCI_DATASETS[name]
    assert (info.n_train, info.n_test, info.n_inputs, info.n_noise) == (
        n_train, n_test, n_inputs, n_noise
    )
    X_train, y_train, X_test, y_test = datasets.load_uci(name, data_dir=DATA, seed=0)
    assert X_train.shape == (n_train, n_inputs) and X_test.shape == (n_test, n_inputs)
    assert y_train.shape == (n_train,) and y_test.shape == (n_test,)
    for array in (X_train, y_train, X_test, y_test):
        assert array.dtype == np.float64 and np.all(np.isfinite(array))
    assert y_train.std() == pytest.approx(1.0)
    if standardised:
        assert y_train.mean() == pytest.approx(0.0, abs=1e-10)
        data_columns = X_train[:, : n_inputs - n_noise]
        np.testing.assert_allclose(data_columns.mean(axis=0), 0.0, atol=1e-10)
        varying = data_columns.std(axis=0) > 0  # propulsion has one constant column
        np.testing.assert_allclose(data_columns.std(axis=0)[varying], 1.0, rtol=1e-10)
        assert varying.sum() >= n_inputs - n_noise - 1
    if n_noise:
        for noise in (X_train[:, -n_noise:], X_test[:, -n_noise:]):
            assert abs(noise.mean()) < 0.05 and abs(noise.std() - 1.0) < 0.05
            assert np.abs(np.corrcoef(noise, rowvar=False) - np.eye(n_noise)).max() < 0.2


def reference_split(table, inputs, target, n_train, n_test, n_noise, seed):
    """An independent transcription of the paper's shuffle/standardise/noise protocol (chapter 06)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(table))
    train, test = table[order[:n_train]], table[order[n_train : n_train + n_test]]
    X_mean, X_std = train[:, inputs].mean(0), train[:, inputs].std(0)
    X_std[X_std < 1e-9] = 1.0
    y_mean, y_std = target(train).mean(), target(train).std()
    X_train = np.hstack([(train[:, inputs] - X_mean) / X_std, rng.standard_normal((n_train, n_noise))])
    X_test = np.hstack([(test[:, inputs] - X_mean) / X_std, rng.standard_normal((n_test, n_noise))])
    return X_train, (target(train) - y_mean) / y_std, X_test, (target(test) - y_mean) / y_std


@requires_data
@pytest.mark.parametrize("name", ["propulsion", "airfoil", "telemonitoring", "skillcraft", "ccpp"])
def test_uci_matches_an_independent_transcription_of_the_spec(name):
    if name == "ccpp":
        mat = scipy.io.loadmat(DATA / "ccpp.mat")
        table, inputs, column = np.hstack([mat["XTrain"], mat["YTrain"]]), [0, 1, 2, 3], 4
    else:
        delimiter = "," if name in ("telemonitoring", "skillcraft") else None
        table = np.loadtxt(DATA / f"{name}.txt", delimiter=delimiter)
        inputs, column = {
            "propulsion": ([2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17], 1),
            "airfoil": ([0, 1, 2, 3, 4], 5),
            "telemonitoring": ([1, 3, 4, *range(6, 22)], 5),
            "skillcraft": ([*range(1, 15), 16, 17, 18, 19], 15),
        }[name]
    if name == "telemonitoring":
        table = table[table[:, 2] == 0]

    def target(rows):
        return np.log(rows[:, column]) if name == "propulsion" else rows[:, column]

    info = datasets.UCI_DATASETS[name]
    expected = reference_split(table, inputs, target, info.n_train, info.n_test, info.n_noise, 5)
    for got, want in zip(datasets.load_uci(name, data_dir=DATA, seed=5), expected):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


@requires_data
def test_galaxy_is_unshuffled_raw_x_and_y_over_training_std():
    mat = scipy.io.loadmat(DATA / "lrgReg.mat")
    X, Y = mat["X"], mat["Y"][:, 0]
    X_train, y_train, X_test, y_test = datasets.load_uci("galaxy", data_dir=DATA, seed=0)
    np.testing.assert_array_equal(X_train, X[:2000])
    np.testing.assert_array_equal(X_test, X[2000:])
    np.testing.assert_allclose(y_train, Y[:2000] / Y[:2000].std())
    np.testing.assert_allclose(y_test, Y[2000:] / Y[:2000].std())
    for array, other_seed in zip((X_train, y_train), datasets.load_uci("galaxy", DATA, seed=9)):
        np.testing.assert_array_equal(array, other_seed)


@requires_data
def test_propulsion_constant_column_is_centred_not_scaled():
    X_train, _, X_test, _ = datasets.load_uci("propulsion", data_dir=DATA, seed=0)
    constant = np.flatnonzero(np.all(X_train == 0.0, axis=0))
    assert constant.tolist() == [8]  # file column 11 (always 0.998) is input number 8
    assert np.all(X_test[:, 8] == 0.0)


@requires_data
@pytest.mark.parametrize("name", SHUFFLED)
def test_uci_seed_reproducible_and_changes_the_split(name):
    first = datasets.load_uci(name, data_dir=DATA, seed=1)
    for array, again in zip(first, datasets.load_uci(name, data_dir=DATA, seed=1)):
        np.testing.assert_array_equal(array, again)
    for array, other in zip(first, datasets.load_uci(name, data_dir=DATA, seed=2)):
        assert not np.array_equal(array, other)


def test_unknown_dataset_lists_valid_names():
    with pytest.raises(ValueError, match=re.escape("Unknown dataset 'foo'. Must be one of ['airfoil'")):
        datasets.load_uci("foo", data_dir=DATA)


@requires_data
def test_names_are_case_insensitive_and_accept_spec_alias():
    a = datasets.load_uci("telemonitoring-total", data_dir=DATA, seed=0)
    b = datasets.load_uci("Telemonitoring", data_dir=DATA, seed=0)
    np.testing.assert_array_equal(a[0], b[0])


# ----------------------------------------------------------------------------- data directory


@pytest.fixture
def no_network(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("no download may be started")

    import pooch

    monkeypatch.setattr(pooch, "retrieve", fail)


@pytest.fixture
def airfoil_copy(tmp_path):
    if DATA is None:
        pytest.skip(NO_DATA_REASON)
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copyfile(DATA / "airfoil.txt", folder / "airfoil.txt")
    return folder


def test_missing_file_names_file_folder_and_remedies(tmp_path, monkeypatch, no_network):
    monkeypatch.delenv("GFT_DATA_DIR", raising=False)
    with pytest.raises(datasets.DataFileNotFoundError) as caught:
        datasets.load_uci("skillcraft", data_dir=tmp_path)
    message = str(caught.value)
    assert isinstance(caught.value, FileNotFoundError)
    for part in ("'skillcraft.txt'", str(tmp_path), "data_dir=", "--data-dir", "GFT_DATA_DIR", "download=True"):
        assert part in message


def test_gft_data_dir_is_honoured(airfoil_copy, monkeypatch, no_network):
    monkeypatch.setenv("GFT_DATA_DIR", str(airfoil_copy))
    assert datasets.default_data_dir() == airfoil_copy
    loaded = datasets.load_uci("airfoil", seed=4)
    np.testing.assert_array_equal(loaded[1], datasets.load_uci("airfoil", airfoil_copy, seed=4)[1])
    with pytest.raises(datasets.DataFileNotFoundError, match=re.escape(str(airfoil_copy))):
        datasets.load_uci("ccpp")


def test_default_data_dir_is_the_user_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("GFT_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert datasets.default_data_dir() == tmp_path / "gft" / "datasets"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert datasets.default_data_dir() == tmp_path / "home" / ".cache" / "gft" / "datasets"


# ----------------------------------------------------------------------------- corrupt files


def test_sha_mismatch_shows_both_hashes(airfoil_copy):
    path = airfoil_copy / "airfoil.txt"
    datasets.load_uci("airfoil", data_dir=airfoil_copy)  # fills the verified-hash cache
    with open(path, "ab") as handle:
        handle.write(b"1 2 3 4 5 6\n")  # changes size, so the cache must not hide it
    with pytest.raises(datasets.DataFileError) as caught:
        datasets.load_uci("airfoil", data_dir=airfoil_copy)
    message = str(caught.value)
    assert str(path) in message and "HTML" not in message
    assert datasets.UCI_DATASETS["airfoil"].sha256 in message and sha256_of(path) in message


def test_html_error_page_is_recognised(tmp_path):
    (tmp_path / "ccpp.mat").write_bytes(b"\n<!DOCTYPE html><html><body>404: Not Found</body></html>")
    with pytest.raises(datasets.DataFileError, match=r"(?s)ccpp\.mat.*expected.*HTML"):
        datasets.load_uci("ccpp", data_dir=tmp_path)
    with pytest.raises(datasets.DataFileError, match=r"(?s)Could not parse.*ccpp\.mat.*HTML"):
        datasets.load_uci("ccpp", data_dir=tmp_path, verify=False)


@requires_data
@pytest.mark.parametrize(
    "file_name,damage",
    [
        ("airfoil.txt", lambda raw: raw[: len(raw) // 2]),  # cut mid-line
        ("airfoil.txt", lambda raw: b"\n".join(raw.split(b"\n")[:100]) + b"\n"),  # too few rows
        ("airfoil.txt", lambda raw: raw.replace(b"\t", b",")),  # wrong delimiter
        ("skillcraft.txt", lambda raw: raw.replace(b",", b"\t")),  # wrong delimiter
        ("telemonitoring.txt", lambda raw: raw.replace(b",", b";", 40)),  # mixed delimiter
        ("ccpp.mat", lambda raw: raw[: len(raw) // 3]),  # truncated binary
        ("lrgReg.mat", lambda raw: raw[:200]),  # truncated header
    ],
)
def test_parse_failures_are_wrapped_and_name_the_file(tmp_path, file_name, damage):
    path = tmp_path / file_name
    path.write_bytes(damage((DATA / file_name).read_bytes()))
    name = {info.file_name: key for key, info in datasets.UCI_DATASETS.items()}[file_name]
    with pytest.raises(datasets.DataFileError, match=re.escape(str(path))) as caught:
        datasets.load_uci(name, data_dir=tmp_path, verify=False)
    assert "Could not parse" in str(caught.value)
    with pytest.raises(datasets.DataFileError, match="sha256"):  # caught earlier when verifying
        datasets.load_uci(name, data_dir=tmp_path)


# ----------------------------------------------------------------------------- download


@pytest.fixture
def file_server(tmp_path, monkeypatch):
    """A real HTTP server on localhost serving ``tmp_path / "served"``; the download URL points at it.

    Yields ``(folder, requests)``: put files into ``folder``; ``requests`` lists the paths asked for.
    """
    import functools
    import http.server
    import threading

    folder = tmp_path / "served"
    folder.mkdir()
    asked = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            return super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(uci, "DOWNLOAD_URL", f"http://127.0.0.1:{server.server_port}/{{file}}")
    yield folder, asked
    server.shutdown()
    server.server_close()


def test_download_offline_says_what_failed_and_how_to_fix(tmp_path, monkeypatch):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(uci, "DOWNLOAD_URL", f"http://127.0.0.1:{port}/{{file}}")
    target = tmp_path / "cache"
    with pytest.raises(datasets.DataDownloadError) as caught:
        datasets.load_uci("airfoil", data_dir=target, download=True)
    assert isinstance(caught.value, datasets.DataFileError)
    assert isinstance(caught.value, ConnectionError)
    message = str(caught.value)
    url = datasets.UCI_DATASETS["airfoil"].url
    for part in ("failed", url, "by hand", str(target / "airfoil.txt"), "Connection refused"):
        assert part in message
    assert list(target.iterdir()) == []  # no partial file left behind


def test_download_of_a_missing_file_says_so(tmp_path, file_server):
    target = tmp_path / "cache"
    with pytest.raises(datasets.DataDownloadError, match=r"(?s)failed.*404.*by hand"):
        datasets.load_uci("airfoil", data_dir=target, download=True)
    assert list(target.iterdir()) == []


@requires_data
def test_download_success_is_verified_and_atomic(tmp_path, file_server):
    served, asked = file_server
    (served / "skillcraft.txt").write_bytes((DATA / "skillcraft.txt").read_bytes())
    target = tmp_path / "cache"
    loaded = datasets.load_uci("skillcraft", data_dir=target, seed=2, download=True)
    assert asked == ["/skillcraft.txt"]
    assert [p.name for p in target.iterdir()] == ["skillcraft.txt"]
    assert sha256_of(target / "skillcraft.txt") == datasets.UCI_DATASETS["skillcraft"].sha256
    for got, want in zip(loaded, datasets.load_uci("skillcraft", data_dir=DATA, seed=2)):
        np.testing.assert_array_equal(got, want)
    datasets.load_uci("skillcraft", data_dir=target, download=True)  # present: no new request
    assert len(asked) == 1


def test_download_of_wrong_bytes_is_deleted(tmp_path, file_server):
    served, _ = file_server
    page = b"<!DOCTYPE html><title>Rate limited</title>"
    (served / "ccpp.mat").write_bytes(page)
    target = tmp_path / "cache"
    with pytest.raises(datasets.DataFileError) as caught:
        datasets.load_uci("ccpp", data_dir=target, download=True)
    message = str(caught.value)
    assert hashlib.sha256(page).hexdigest() in message
    assert datasets.UCI_DATASETS["ccpp"].sha256 in message and "HTML" in message
    assert list(target.iterdir()) == []


def test_verified_hash_is_cached_per_path_mtime_and_size(airfoil_copy, monkeypatch):
    datasets.load_uci("airfoil", data_dir=airfoil_copy)
    calls = []
    real_sha256 = hashlib.sha256
    monkeypatch.setattr(uci.hashlib, "sha256", lambda *a: calls.append(1) or real_sha256(*a))
    datasets.load_uci("airfoil", data_dir=airfoil_copy)
    assert calls == []


# -- inputs with empty regions -----------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_gap_test_inputs_lie_between_the_clusters(seed):
    """Every test input of the default region lies in the training inputs' bounding box and at
    least ``gap`` from every training input (a distance computed here with SciPy)."""
    from scipy.spatial.distance import cdist

    from gft.datasets import clustered_with_gaps

    X, y, X_test, y_test = clustered_with_gaps(seed, gap=0.1)
    assert X.shape == (300, 2) and X_test.shape == (300, 2)
    assert np.all(X_test >= X.min(0)) and np.all(X_test <= X.max(0))
    assert cdist(X_test, X).min() >= 0.1


def test_gap_test_inputs_of_the_unit_region_reach_beyond_the_data():
    from gft.datasets import clustered_with_gaps

    X, _, X_test, _ = clustered_with_gaps(4, test_region="unit")
    outside = np.any((X_test < X.min(0)) | (X_test > X.max(0)), axis=1)
    assert outside.mean() > 0.5  # seed 4's clusters span a quarter of the square


def test_gap_inputs_that_cannot_be_found_raise():
    from gft.datasets import clustered_with_gaps

    with pytest.raises(ValueError, match="lower gap or spread"):
        clustered_with_gaps(0, n_test=10, gap=2.0)
    with pytest.raises(ValueError, match="test_region"):
        clustered_with_gaps(0, test_region="square")
