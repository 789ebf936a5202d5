"""Pure forecasting: series -> forecast, backtest, replica recommendation. No I/O."""
