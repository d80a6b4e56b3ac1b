"""The bottom layer: settings models, database, migrations, jobs, clock, ids, errors, logging."""
