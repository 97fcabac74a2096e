-- grain: one row per theme model fit, newest first
SELECT fit_id, fitted_at, actor, documents, distinct_texts, sample_size, n_themes, chosen_by, stability, seed,
       vocabulary, model_path, seconds
FROM theme_fits
ORDER BY fit_id DESC
