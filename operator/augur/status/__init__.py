"""Pure status logic: the catalog of parsed objects, statuses, conditions and KPI arithmetic.

Nothing here does I/O: the controllers gather inputs, call these functions and write what
they return (see docs/architecture.md)."""
