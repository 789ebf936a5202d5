"""`augur import`'s conversions, pure: PrometheusRules (`rules.py`) and an Alertmanager
configuration (`alertmanager.py`) into AlertPolicy bodies, with notes of what was not carried
over (`notes.py`). Reading and writing happen in `commands/import_.py`."""
