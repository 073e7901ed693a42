"""The experiment core: scenarios (overrides of a base line or study by path), designs that make
them, an executor that lives for the whole experiment, and one tidy result table.

    from twin.experiments import Scenario, run_experiment
    experiment = run_experiment(study, [Scenario("today"),
                                        Scenario("buffer 8", {"stations[Milling].buffer": 8})])
    experiment.table.frame                      # one row per scenario × replication
    experiment.table.differences("today")       # paired differences with CIs (CRN)

The stable API, by module (import from the module; this package imports nothing, so that
`twin.comparison` can use the table without importing the engine twice):

- `paths`: `get(model, path)`, `set_values(model, {path: value})`, `check_paths`, `parse`.
- `scenarios`: `Scenario(name, overrides)` with `.apply(base)` and `.line(base)`, `effective_line`.
- `spec`: the experiment file, `ExperimentBase` (base, replications, seed, responses; subclass it
  for a command of your own), `ScenariosFile`, `SweepFile`, `Factor`, `Design`,
  `load_experiment(path, Model)` and `experiment_from_text(...)` → (spec, base study).
- `designs`: `points(design, factors, seed)` → `DesignPoints` (scenarios, unit points, SALib problem),
  `planned_points`, `value_at`, `levels`.
- `executor`: `Executor(workers=, dask=, engine=, progress=, planned=)`, a context manager whose
  pool or Dask client lives for the whole experiment; `.run([(line, replication)], seed)`.
- `runner`: `run_experiment(base, scenarios, ..., executor=None, first_replication=0)` →
  `Experiment` (results per scenario, `table`, failed points), `check_responses`.
- `table`: `ExperimentTable` (`frame`, `values`, `paired`, `summary`, `differences`, `kpis_json`),
  `FailedPoint`, `variance_reduction`, `build`, `merge`.
- `analysis`: the tornado, Sobol and Morris indices with the seed's share.
- `commands`: `scenarios`, `sweep`, `sensitivity` (also `twin.scenarios`, `twin.sweep`,
  `twin.sensitivity`), each with `.to_json()` as its command prints it.
- `export`: `write_table(table, path, option)` (.csv or .parquet, written whole).
- `memo`: the process's memo of replications, off unless `enable(max_bytes)` (also
  `twin.memoize_replications`) turns it on: the executor and `twin.run` then serve a replication
  already simulated (same line config, engine, seed and replication) instead of running it again.
"""


