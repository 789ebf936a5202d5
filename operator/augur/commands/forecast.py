"""`augur forecast`: offline forecasting and backtests of workload load."""

from __future__ import annotations

import datetime
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
from pydantic import BaseModel, ValidationError

from augur.api.durations import check_duration, duration_seconds, format_duration
from augur.api.resources import problems_from
from augur.api.scalingpolicy import ForecastSettings, ReplicaBounds, ScaleDown, ScalingPolicySpec
from augur.forecast.config import (
    METHODS,
    EngineSettings,
    FloorCheck,
    api_method,
    engine_settings,
    forecast_config,
    replay_policy,
)
from augur.forecast.report import (
    TraceReport,
    backtest_trace,
    default_capacity,
    report_json,
    scaling_json,
)
from augur.forecast.series import Series, parse_csv, regularize

SCALING_KEYS = (
    "under_provisioned_pct",
    "under_replica_hours",
    "over_replica_hours",
    "replica_hours",
    "actions",
)


def _duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_duration(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from error


def _policy_default(model: type[BaseModel], field: str) -> str:
    """A ScalingPolicy default as --help shows it: leaving the flag out means this value."""
    return f"ScalingPolicy's {model.model_fields[field].default}"


def _given(**flags: object) -> dict[str, object]:
    """The flags given on the command line: what overrides the ScalingPolicy's defaults."""
    return {name: value for name, value in flags.items() if value is not None}


def _moment(_ctx: click.Context, _param: click.Parameter, value: str | None) -> float | None:
    """An ISO 8601 date or time as epoch seconds (UTC unless it names its offset)."""
    if value is None:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def _refused(error: ValidationError) -> click.ClickException:
    """The model's refusal of the settings, worded as `augur validate` words it."""
    return click.ClickException("; ".join(str(problem) for problem in problems_from(error)))


def _engine(capacity: float, **fields: object) -> EngineSettings:
    """Engine settings of the policy a trace is replayed under; the model's message if invalid."""
    try:
        return engine_settings(replay_policy(capacity, **fields))
    except ValidationError as error:
        raise _refused(error) from None


def _progress_on_terminal() -> Callable[[int, int], None] | None:
    """Refits done and the time left on stderr when it is a terminal (a long trace takes
    minutes); the estimate is the pace so far."""
    stream = sys.stderr
    if not stream.isatty():
        return None
    began = time.monotonic()

    def show(done: int, total: int) -> None:
        elapsed = time.monotonic() - began
        left = (
            ""
            if not done or done == total
            else f", about {_clock(elapsed * (total - done) / done)} left"
        )
        click.echo(
            f"\rbacktest: refit {done}/{total}, {_clock(elapsed)} elapsed{left}\033[K",
            file=stream,
            nl=done == total,
        )

    return show


def _clock(seconds: float) -> str:
    """m:ss (h:mm:ss from an hour)."""
    minutes, second = divmod(round(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}:{minute:02d}:{second:02d}" if hours else f"{minute}:{second:02d}"


def _load(csv: Path, step: str | None) -> Series:
    try:
        times, values = parse_csv(csv.read_text())
        return regularize(times, values, None if step is None else duration_seconds(step))
    except (OSError, ValueError) as error:
        raise click.ClickException(f"{csv}: {error}") from error


@click.group("forecast")
def forecast_group() -> None:
    """Forecast a workload's load and replay it against scaling policies."""


def _format_table(report: TraceReport) -> str:
    data = report_json(report)
    lines = [f"trace {report.trace}  (capacity {report.capacity:g} per replica)", ""]
    lines.append(f"{'method':<16}{'MASE':>8}{'sMAPE':>8}{'coverage':>10}{'fit ms':>9}")
    for row in data["methods"]:  # type: ignore[attr-defined]
        cells = [row["mase"], row["smape"], row["coverage"], row["fit_ms"]]
        shown = ["-" if c is None else f"{c:.3f}" for c in cells[:3]]
        fit = "-" if cells[3] is None else f"{cells[3]:.1f}"
        lines.append(f"{row['method']:<16}{shown[0]:>8}{shown[1]:>8}{shown[2]:>10}{fit:>9}")
    rows = {
        "reactive": scaling_json(report.reactive),
        "augur": scaling_json(report.augur),
        "equal-cost": scaling_json(report.equal_cost.result),
    }
    lines += ["", f"{'scaling':<12}" + "".join(f"{k:>24}" for k in SCALING_KEYS)]
    for name, values in rows.items():
        lines.append(f"{name:<12}" + "".join(f"{values[k]!s:>24}" for k in SCALING_KEYS))
    equal = report.equal_cost
    spent = (
        "spends augur's replica-hours"
        if equal.reached
        else "comes nearest augur's replica-hours (replicas.max stops it short)"
    )
    lines += [
        "",
        f"equal-cost: the reactive HPA with headroom {equal.headroom:.4f} (its target "
        f"utilisation lowered to {1 / (1 + equal.headroom):.1%}), the smallest that {spent}",
    ]
    return "\n".join(lines)


@forecast_group.command("backtest")
@click.option(
    "--csv",
    "csv",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="timestamp,value CSV (gaps allowed).",
)
@click.option("--step", callback=_duration, help="Grid step, e.g. 5m (default: inferred).")
@click.option(
    "--horizon",
    callback=_duration,
    show_default=_policy_default(ForecastSettings, "horizon"),
    help="How far ahead to forecast, e.g. 30m.",
)
@click.option(
    "--method",
    "methods",
    multiple=True,
    type=click.Choice(METHODS),
    help="Method(s) to score; default: all. seasonal_naive is always included.",
)
@click.option("--capacity", type=float, help="Load one replica serves (default: p95 / 10).")
@click.option(
    "--quantile",
    type=click.FloatRange(0.5, 0.999),
    show_default=_policy_default(ForecastSettings, "quantile"),
    help="The forecast quantile replicas are sized for.",
)
@click.option(
    "--headroom",
    type=click.FloatRange(0),
    show_default=_policy_default(ScalingPolicySpec, "headroom"),
    help="Extra capacity over the forecast quantile. The default 0 compares like with like: "
    "the reactive HPA runs replicas at exactly --capacity and the quantile already covers "
    "uncertainty.",
)
@click.option(
    "--history",
    callback=_duration,
    show_default=_policy_default(ForecastSettings, "history"),
    help="How much of the past a model is fitted on, e.g. 7d.",
)
@click.option(
    "--min-replicas",
    type=click.IntRange(0),
    show_default=_policy_default(ReplicaBounds, "min"),
    help="The replica floor.",
)
@click.option(
    "--max-replicas",
    default=40,
    show_default=True,
    type=click.IntRange(1),
    help="A ScalingPolicy has no default: it must say.",
)
@click.option(
    "--refit",
    default="1h",
    show_default=True,
    callback=_duration,
    help="How often the model is refitted during the replay (the operator refits at every "
    "evaluation).",
)
@click.option(
    "--reselect",
    default="1d",
    show_default=True,
    callback=_duration,
    help="How often auto selects its model again (at least --refit); between selections each "
    "refit fits and calibrates the model chosen last.",
)
@click.option(
    "--startup",
    callback=_duration,
    show_default=_policy_default(ForecastSettings, "startup"),
    help="Time from requesting a replica to it serving.",
)
@click.option(
    "--scale-down-window",
    callback=_duration,
    show_default=_policy_default(ScaleDown, "stabilization_window"),
    help="The HPA's scale-down stabilization window; augur's floor uses the same one, so it "
    "holds replicas no longer than the HPA itself would.",
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for people, json (snake_case keys) for scripts.",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a PNG of actual vs forecast band vs replicas (needs the plot extra).",
)
@click.option(
    "--from",
    "plot_from",
    callback=_moment,
    help="Plot from this time on (ISO 8601, UTC unless it says, e.g. 2015-03-01T12:00).",
)
@click.option("--to", "plot_to", callback=_moment, help="Plot up to this time (ISO 8601).")
@click.option(
    "--last",
    "plot_last",
    callback=_duration,
    help="Plot only the last part of the replay, e.g. 7d (instead of --from/--to).",
)
def backtest_command(
    csv: Path,
    step: str | None,
    horizon: str | None,
    methods: tuple[str, ...],
    capacity: float | None,
    quantile: float | None,
    headroom: float | None,
    history: str | None,
    min_replicas: int | None,
    max_replicas: int,
    refit: str,
    reselect: str,
    startup: str | None,
    scale_down_window: str | None,
    output: str,
    plot_path: Path | None,
    plot_from: float | None,
    plot_to: float | None,
    plot_last: str | None,
) -> None:
    """Score forecasting methods on a trace and replay it against a reactive HPA.

    The trace is replayed under a ScalingPolicy with the model's defaults, except for what
    the flags say.
    """
    from augur.forecast.backtest import BacktestSettings, default_start
    from augur.forecast.replay import HpaBehaviour

    if plot_path is None and (plot_from, plot_to, plot_last) != (None, None, None):
        raise click.UsageError("--from, --to and --last choose what --plot shows: add --plot")
    if plot_last is not None and (plot_from, plot_to) != (None, None):
        raise click.UsageError("--last is instead of --from/--to")
    if plot_path is not None:
        from augur.forecast.plot import require_matplotlib

        try:  # before the backtest, so a missing extra does not cost its minutes
            require_matplotlib()
        except RuntimeError as error:
            raise click.ClickException(str(error)) from error
    series = _load(csv, step)
    engine = _engine(
        capacity or default_capacity(series.values),
        forecast=_given(
            step=format_duration(series.step),
            horizon=horizon,
            history=history,
            quantile=quantile,
            startup=startup,
        ),
        replicas=_given(min=min_replicas, max=max_replicas),
        **_given(headroom=headroom),
        scale_down=_given(stabilization_window=scale_down_window),
    )
    config = engine.forecast
    steps = config.horizon_steps
    if len(series) < 2 * steps + 24:
        raise click.ClickException(f"{csv}: {len(series)} steps are too short to backtest")
    refit_seconds = duration_seconds(refit)
    reselect_seconds = duration_seconds(reselect)
    refit_steps = max(1, round(refit_seconds / series.step))
    settings = BacktestSettings(
        horizon=steps,
        quantile=config.quantile,
        history=config.history_steps,
        refit_every=refit_steps,
        start=default_start(len(series), config.history_steps, steps),
        reselect_every=max(refit_steps, round(reselect_seconds / series.step)),
        # the replay sets augur's floor at every step, as an evaluation every step would
        floor_check=FloorCheck(engine.rules, engine.startup, series.step),
    )
    chosen = methods or METHODS
    driver = "auto" if "auto" in chosen else chosen[0]
    report = backtest_trace(
        csv.name,
        series,
        settings,
        chosen,
        engine.rules,
        HpaBehaviour(
            startup=engine.startup,
            stabilization_window=engine.rules.scale_down.stabilization_window,
        ),
        driver,
        _progress_on_terminal(),
    )
    if output == "json":
        click.echo(json.dumps(report_json(report), allow_nan=False))
    else:
        click.echo(_format_table(report))
        start = format_duration(settings.start * series.step)
        click.echo(
            f"\nscored from {start} into the trace; refit every {format_duration(refit_seconds)},"
            f" auto re-selected every {format_duration(reselect_seconds)}"
        )
    if plot_path is not None:
        from augur.forecast.plot import plot_report, plot_window

        end = series.time_at(len(series))
        if plot_last is not None:
            plot_from, plot_to = end - duration_seconds(plot_last), None
        try:
            window = plot_window(series, settings.start, plot_from, plot_to)
        except ValueError as error:
            raise click.ClickException(str(error)) from error
        plot_report(report, series, str(plot_path), config.quantile, window)


@forecast_group.command("predict")
@click.option(
    "--csv",
    "csv",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="timestamp,value CSV (gaps allowed).",
)
@click.option("--step", callback=_duration, help="Grid step, e.g. 5m (default: inferred).")
@click.option(
    "--horizon",
    callback=_duration,
    show_default=_policy_default(ForecastSettings, "horizon"),
    help="How far ahead to forecast, e.g. 30m.",
)
@click.option(
    "--history",
    callback=_duration,
    show_default=_policy_default(ForecastSettings, "history"),
    help="How much of the past the model is fitted on, e.g. 7d.",
)
@click.option(
    "--method",
    type=click.Choice(METHODS),
    show_default=_policy_default(ForecastSettings, "method"),
    help="Forecasting method.",
)
@click.option(
    "--quantile",
    type=click.FloatRange(0.5, 0.999),
    show_default=_policy_default(ForecastSettings, "quantile"),
    help="The upper quantile of the forecast band.",
)
def predict_command(
    csv: Path,
    step: str | None,
    horizon: str | None,
    history: str | None,
    method: str | None,
    quantile: float | None,
) -> None:
    """Forecast the horizon after a trace's last point, as JSON (snake_case keys).

    The forecast settings are a ScalingPolicy's defaults, except for what the flags say.
    """
    from augur.forecast.engine import forecast

    series = _load(csv, step)
    given = _given(
        step=format_duration(series.step),
        horizon=horizon,
        history=history,
        method=None if method is None else api_method(method),
        quantile=quantile,
    )
    try:
        config = forecast_config(ForecastSettings.model_validate(given))
    except ValidationError as error:
        raise _refused(error) from None
    result = forecast(series, config)
    body: dict[str, object] = {
        "healthy": result.healthy,
        "reason": result.reason,
        "message": result.message,
    }
    if result.model is not None and result.accuracy is not None:
        body["forecast"] = {
            "peak": result.peak,
            "peak_at": result.peak_at,
            "points": [vars(p) for p in result.points],
        }
        body["model"] = {
            "method": result.model.method,
            "seasonality": [format_duration(s) for s in result.model.seasonality],
            "training_points": result.model.training_points,
        }
        accuracy = vars(result.accuracy)
        body["accuracy"] = {k: (v if math.isfinite(v) else None) for k, v in accuracy.items()}
    click.echo(json.dumps(body))
