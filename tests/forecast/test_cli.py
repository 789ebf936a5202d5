"""`augur forecast backtest` and `predict`: table, JSON and errors."""

from __future__ import annotations

import io
import json
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from augur.commands.forecast import _progress_on_terminal, forecast_group
from augur.forecast.plot import plot_window
from augur.forecast.series import Series

SeriesMaker = Callable[..., np.ndarray]
SCALING_KEYS = {
    "under_provisioned_pct",
    "under_replica_hours",
    "over_replica_hours",
    "replica_hours",
    "actions",
}


@pytest.fixture
def trace(tmp_path: Path, seasonal: SeriesMaker) -> Path:
    values = seasonal(days=3, noise=3)
    lines = ["timestamp,value"]
    for index, value in enumerate(values):
        if index % 97 != 5:  # a few scrape failures
            lines.append(f"{1_700_000_000 + 300 * index},{value:.3f}")
    path = tmp_path / "trace.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(*args: str) -> str:
    result = CliRunner().invoke(forecast_group, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_backtest_json(trace: Path) -> None:
    body = json.loads(
        _run(
            "backtest",
            "--csv",
            str(trace),
            "--method",
            "auto",
            "--capacity",
            "10",
            "--output",
            "json",
        )
    )
    assert body["trace"] == "trace.csv"
    assert [m["method"] for m in body["methods"]] == ["seasonal_naive", "auto"]
    assert set(body["methods"][0]) == {"method", "mase", "smape", "coverage", "fit_ms"}
    assert set(body["scaling"]) == {"reactive", "augur", "equal_cost_reactive"}
    assert set(body["scaling"]["augur"]) == SCALING_KEYS
    equal = body["scaling"]["equal_cost_reactive"]
    assert set(equal) == {
        "headroom",
        "replica_hours",
        "under_provisioned_pct",
        "under_replica_hours",
    }
    # the smallest headroom that spends augur's replica-hours: never fewer, never a negative one
    assert equal["headroom"] >= 0
    assert equal["replica_hours"] >= body["scaling"]["augur"]["replica_hours"]


def test_backtest_table(trace: Path) -> None:
    output = _run(
        "backtest",
        "--csv",
        str(trace),
        "--step",
        "5m",
        "--horizon",
        "15m",
        "--method",
        "linear",
        "--scale-down-window",
        "10m",
        "--headroom",
        "0.1",
    )
    assert "seasonal_naive" in output and "linear" in output
    assert "reactive" in output and "augur" in output
    assert "equal-cost: the reactive HPA with headroom" in output


def test_predict_json(trace: Path) -> None:
    body = json.loads(_run("predict", "--csv", str(trace)))
    assert body["healthy"] is True
    assert len(body["forecast"]["points"]) == 6
    assert body["model"]["seasonality"] == ["1d"]


def test_bad_csv_is_a_readable_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("time,load\n1,2\n")
    result = CliRunner().invoke(forecast_group, ["backtest", "--csv", str(path)])
    assert result.exit_code != 0
    assert "header" in result.output


def test_backtest_plot_writes_a_png(trace: Path, tmp_path: Path) -> None:
    image = tmp_path / "replay.png"
    _run("backtest", "--csv", str(trace), "--method", "linear", "--plot", str(image))
    data = image.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    assert width > 1000 and height > 500


def test_backtest_plot_without_matplotlib_says_how_to_get_it(
    trace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails

    def backtest(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the extra is checked before the backtest runs")

    monkeypatch.setattr("augur.commands.forecast.backtest_trace", backtest)
    result = CliRunner().invoke(
        forecast_group, ["backtest", "--csv", str(trace), "--plot", str(tmp_path / "x.png")]
    )
    assert result.exit_code == 1
    assert "augur-operator[plot]" in result.output
    assert not (tmp_path / "x.png").exists()


def test_a_malformed_duration_flag_is_refused_with_the_one_wording(trace: Path) -> None:
    result = CliRunner().invoke(
        forecast_group, ["backtest", "--csv", str(trace), "--horizon", "30 minutes"]
    )
    assert result.exit_code == 2
    assert "'30 minutes' is not a Prometheus duration (like 30s, 5m, 1h, 1d, 1w)" in result.output


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--horizon", "1m"], "forecast: horizon 1m is shorter than step 5m"),
        (
            ["--min-replicas", "5", "--max-replicas", "2"],
            "replicas: min (5) is greater than max (2)",
        ),
    ],
)
def test_settings_a_scaling_policy_refuses_are_refused(
    trace: Path, flags: list[str], message: str
) -> None:
    result = CliRunner().invoke(forecast_group, ["backtest", "--csv", str(trace), *flags])
    assert result.exit_code == 1
    assert f"Error: {message}" in result.output


def test_predict_takes_the_engine_spelling_of_a_method(trace: Path) -> None:
    body = json.loads(_run("predict", "--csv", str(trace), "--method", "holt_winters"))
    assert body["model"]["method"] == "holt_winters"


def test_progress_on_a_terminal_shows_the_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    clock = iter([100.0, 130.0, 4000.0])
    monkeypatch.setattr(time, "monotonic", lambda: next(clock))
    show = _progress_on_terminal()
    assert show is not None
    show(1, 4)  # 30 s for one refit: three more take 1:30
    show(4, 4)
    lines = stream.getvalue().split("\r")
    assert "refit 1/4, 0:30 elapsed, about 1:30 left" in lines[1]
    assert "refit 4/4, 1:05:00 elapsed" in lines[2] and "left" not in lines[2]


def test_no_progress_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert _progress_on_terminal() is None


def test_backtest_plot_of_the_last_day(trace: Path, tmp_path: Path) -> None:
    image = tmp_path / "last.png"
    args = ["--method", "linear", "--plot", str(image)]
    _run("backtest", "--csv", str(trace), *args, "--last", "1d")
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the trace starts 2023-11-14 22:13:20 UTC and holds three days
    _run("backtest", "--csv", str(trace), *args, "--from", "2023-11-16T12:00", "--to", "2023-11-17")


def test_a_plot_window_outside_the_replay_is_refused(trace: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        forecast_group,
        ["backtest", "--csv", str(trace), "--plot", str(tmp_path / "x.png"), "--to", "2020-01-01"],
    )
    assert result.exit_code == 1
    assert "the plot window holds no replayed step" in result.output
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--last", "1d"], "add --plot"),
        (["--plot", "x.png", "--last", "1d", "--from", "2023-11-16"], "instead of --from/--to"),
        (["--plot", "x.png", "--from", "yesterday"], "not an ISO 8601 date or time"),
    ],
)
def test_plot_window_flags_are_checked(trace: Path, flags: list[str], message: str) -> None:
    result = CliRunner().invoke(forecast_group, ["backtest", "--csv", str(trace), *flags])
    assert result.exit_code == 2
    assert message in result.output


def test_plot_window_picks_the_replayed_steps_between_two_times() -> None:
    series = Series(1000.0, 300.0, np.zeros(100))
    assert plot_window(series, 40, None, None) == (0, 60)
    # steps 40.. start at 13,000 s; from 16,000 s (step 50) up to 19,000 s (step 60)
    assert plot_window(series, 40, 16_000.0, 19_000.0) == (10, 20)
    with pytest.raises(ValueError, match="no replayed step"):
        plot_window(series, 40, None, 5000.0)
