-- grain: one row per theme model fit, newest first; only fits of corpus $corpus ('tickets' / 'comments') and the
-- fits made before corpora were separate ('all'), or every fit when $corpus is NULL
SELECT fit_id, fitted_at, actor, documents, distinct_texts, sample_size, n_themes, chosen_by, stability, seed,
       vocabulary, model_path, seconds, corpus
FROM theme_fits
WHERE $corpus IS NULL OR corpus = $corpus OR corpus = 'all'
ORDER BY fit_id DESC
