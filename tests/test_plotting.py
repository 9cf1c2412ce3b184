"""Tests of gft.plotting: the FFT helper against known spectra, and what each figure draws."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

from gft import plotting  # noqa: E402
from gft.training import TrainingHistory  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_grid_2d_layout():
    ticks, X = plotting.grid_2d(4, 0.0, 2.0)
    np.testing.assert_allclose(ticks, [0.0, 0.5, 1.0, 1.5])
    grid = X.reshape(4, 4, 2)
    np.testing.assert_allclose(grid[1, 3], [0.5, 1.5])
    np.testing.assert_allclose(grid[3, 0], [1.5, 0.0])


@pytest.mark.parametrize("n, low, high", [(1, 0.0, 1.0), (2.5, 0.0, 1.0), (8, 1.0, 1.0)])
def test_grid_2d_rejects_bad_arguments(n, low, high):
    with pytest.raises(ValueError, match="n must be|low < high"):
        plotting.grid_2d(n, low, high)


def test_fourier_magnitude_of_a_plane_wave_peaks_at_its_frequency():
    # f(x) = cos(2π <(3, -5), x>) = (e^{2πi<ω,x>} + e^{-2πi<ω,x>}) / 2: |f̂| = 1/2 at ±(3, -5).
    omega, mag = plotting.fourier_magnitude(lambda X: np.cos(2 * np.pi * (3 * X[:, 0] - 5 * X[:, 1])), n=32)
    assert omega.shape == (32,) and mag.shape == (32, 32)
    np.testing.assert_allclose(np.diff(omega), 1.0)  # frequency spacing 1/(n h) = 1 on [0, 1]
    peaks = {(omega[i], omega[j]) for i, j in zip(*np.nonzero(mag > 0.25))}
    assert peaks == {(3.0, -5.0), (-3.0, 5.0)}
    np.testing.assert_allclose(mag[omega == 3.0, omega == -5.0], 0.5, rtol=1e-12)
    assert np.sort(mag.ravel())[-3] < 1e-12  # nothing else


def test_fourier_magnitude_matches_integral_on_another_square():
    # ∫_{[0,2]^2} 1 dx = 4 at ω = 0, and the frequencies are spaced 1/(n h) = 1/2.
    omega, mag = plotting.fourier_magnitude(lambda X: np.ones(len(X)), n=16, low=0.0, high=2.0)
    np.testing.assert_allclose(np.diff(omega), 0.5)
    np.testing.assert_allclose(mag[omega == 0, omega == 0], 4.0)


def test_fourier_magnitude_oversampling_matches_the_transform_of_the_square():
    # f = 1 on [0, 1]^2: f^(w) = prod_i (1 - e^{-2 pi i w_i}) / (2 pi i w_i), |f^| = |sinc(w1) sinc(w2)|
    omega, mag = plotting.fourier_magnitude(lambda X: np.ones(len(X)), n=64, oversample=4)
    assert omega.shape == (256,)
    np.testing.assert_allclose(np.diff(omega), 0.25)
    exact = np.abs(np.outer(np.sinc(omega), np.sinc(omega)))
    window = np.abs(omega) <= 4
    # the Riemann sum with h = 1/64 errs by O(|w| h) relative to the sinc
    np.testing.assert_allclose(mag[np.ix_(window, window)], exact[np.ix_(window, window)], atol=2e-2)
    np.testing.assert_allclose(mag[omega == 0.5, omega == 0.0], 2 / np.pi, rtol=1e-3)
    with pytest.raises(ValueError, match="oversample"):
        plotting.fourier_magnitude(lambda X: np.ones(len(X)), n=8, oversample=0)


def test_fourier_magnitude_window_keeps_peaks_and_removes_leakage():
    wave = lambda X: np.cos(2 * np.pi * (3 * X[:, 0] - 5 * X[:, 1]))  # noqa: E731
    omega, mag = plotting.fourier_magnitude(wave, n=32, window=True)
    np.testing.assert_allclose(mag[omega == 3.0, omega == -5.0], 0.5, rtol=1e-12)
    far = np.abs(omega[:, None] - 3) + np.abs(omega[None, :] + 5) > 2.5  # Hann spreads over ±1
    far &= np.abs(omega[:, None] + 3) + np.abs(omega[None, :] - 5) > 2.5
    assert mag[far].max() < 1e-12
    # a ramp does not vanish on the boundary: the window suppresses its leakage streaks
    ramp = lambda X: X[:, 0]  # noqa: E731
    omega, plain = plotting.fourier_magnitude(ramp, n=64)
    _, tapered = plotting.fourier_magnitude(ramp, n=64, window=True)
    assert tapered[omega == 20, omega == 0] < 1e-2 * plain[omega == 20, omega == 0]


def test_fourier_magnitude_rejects_wrong_output_shape():
    with pytest.raises(ValueError, match=r"values of shape \(M,\)"):
        plotting.fourier_magnitude(lambda X: X, n=8)


def test_plot_fit_1d_draws_target_fits_and_data():
    x = np.linspace(0, 1, 50)
    ax = plotting.plot_fit_1d(x, np.sin(x), {"GFT": np.cos(x)}, data=(x[:5], x[:5] ** 2))
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["target", "GFT", "training data"]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), np.cos(x))


def test_plot_fit_1d_rejects_mismatched_lengths():
    x = np.linspace(0, 1, 5)
    with pytest.raises(ValueError, match="'GFT' has shape"):
        plotting.plot_fit_1d(x, x, {"GFT": x[:3]})


def test_plot_fit_2d_panels_hold_target_fit_and_error():
    target = lambda X: X[:, 0] + 2 * X[:, 1]  # noqa: E731
    fit = lambda X: X[:, 0] + 2 * X[:, 1] + 0.1  # noqa: E731
    axes = plotting.plot_fit_2d(target, fit, n=10)
    assert [ax.get_title() for ax in axes] == ["target", "fit", "|fit - target| (log scale)"]
    true = axes[0].get_images()[0].get_array()
    # transposed for display: rows are x2, columns x1, so moving right adds 1/10 and up 2/10
    np.testing.assert_allclose(true[0, 1] - true[0, 0], 0.1)
    np.testing.assert_allclose(true[1, 0] - true[0, 0], 0.2)
    np.testing.assert_allclose(axes[2].get_images()[0].get_array(), 0.1)
    assert isinstance(axes[2].get_images()[0].norm, LogNorm)  # a few large errors must not hide the rest


def test_plot_fit_2d_needs_three_axes():
    _, axes = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="three Axes"):
        plotting.plot_fit_2d(lambda X: X[:, 0], lambda X: X[:, 0], n=4, axes=axes)


def test_plot_feature_distribution_scatters_first_two_coordinates_over_spectrum():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(30, 3))
    spectrum = plotting.fourier_magnitude(lambda X: np.cos(2 * np.pi * 2 * X[:, 0]), n=16)
    ax = plotting.plot_feature_distribution(W, spectrum, limit=8.0)
    np.testing.assert_allclose(ax.collections[-1].get_offsets(), W[:, :2])
    mesh = ax.collections[0]
    assert mesh.norm.vmax == pytest.approx(spectrum[1].max())
    assert ax.get_xlim() == (-8.0, 8.0)


def test_plot_feature_distribution_rejects_one_dimensional_features():
    with pytest.raises(ValueError, match=r"shape \(N, D\) with D >= 2"):
        plotting.plot_feature_distribution(np.zeros((5, 1)))


def _history(name, steps, best):
    return TrainingHistory(
        name=name, train_loss=np.linspace(1.0, 0.1, steps), val_steps=np.array([0, steps]),
        val_mse=np.array([1.0, 0.2]), best_step=best, best_val_mse=0.2,
    )


def test_plot_training_curves_concatenates_runs_and_smooths():
    runs = {"generator": _history("g", 100, 100), "refine": _history("r", 40, 40)}
    ax = plotting.plot_training_curves(runs, window=10)
    lines = ax.get_lines()
    loss_lines = [line for line in lines if line.get_label().endswith("training loss")]
    assert len(loss_lines) == 2
    np.testing.assert_allclose(loss_lines[1].get_xdata(), 100 + np.arange(40))  # after the first run
    expected = np.convolve(runs["generator"].train_loss, np.ones(10) / 10, mode="valid")
    np.testing.assert_allclose(loss_lines[0].get_ydata()[9:], expected)
    assert ax.get_yscale() == "log"
    assert any(line.get_xdata()[0] == 100 for line in lines if line.get_linestyle() == "--")


def test_plot_training_curves_accepts_a_single_history():
    ax = plotting.plot_training_curves(_history("gen", 20, 5), window=3)
    assert ax.get_lines()[0].get_label() == "gen: training loss"


@pytest.mark.parametrize("history, window, match", [({}, 5, "history is empty"),
                                                     (_history("g", 5, 1), 0, "window")])
def test_plot_training_curves_errors(history, window, match):
    with pytest.raises(ValueError, match=match):
        plotting.plot_training_curves(history, window=window)


def test_plot_test_mse_dots_are_means_with_min_max_range():
    ax = plotting.plot_test_mse({"GFT": [1e-4, 3e-4], "RFF": 1e-2})
    assert not ax.patches  # dots, not bars: a bar's length on a log axis means nothing
    dots = [line.get_ydata()[0] for line in ax.lines if line.get_marker() == "o"]
    np.testing.assert_allclose(dots, [2e-4, 1e-2])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["GFT", "RFF"]
    assert ax.get_yscale() == "log"
    segments = ax.collections[0].get_segments()  # error bars: min to max
    np.testing.assert_allclose(segments[0][:, 1], [1e-4, 3e-4])
    single = plotting.plot_test_mse({"GFT": 1e-4, "RFF": 1e-2}, log=False)
    assert not single.collections  # one trial each: no error bars
    assert single.get_yscale() == "linear"


@pytest.mark.parametrize("results, log, match", [({}, True, "results is empty"),
                                                 ({"a": [0.0]}, True, "> 0 on a log axis"),
                                                 ({"a": [np.nan]}, False, "finite")])
def test_plot_test_mse_errors(results, log, match):
    with pytest.raises(ValueError, match=match):
        plotting.plot_test_mse(results, log=log)
