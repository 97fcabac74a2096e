"""The estimators, in scikit-learn's style, and their stores.

Each model has two modules: the estimator (``churn``: :class:`~cx_metrics.models.churn.ChurnRiskModel`,
``themes``: :class:`~cx_metrics.models.themes.ThemeModel`), which is fitted on frames or texts and never touches
the database or the disk (its ``__init__`` only stores hyper-parameters, ``fit`` returns the estimator, learned
attributes end in ``_``, predicting before fitting raises scikit-learn's ``NotFittedError``); and its store
(``churn_store``, ``theme_store``), which reads what the estimator is fitted on from DuckDB, saves the fitted model
and its results, and loads them back. An import-linter contract keeps the estimators free of ``cx_metrics.db``.
"""
