-- Themes from free text (ticket subject + description, survey comments): the fits, the theme catalogue with the
-- analyst's names, pins and merges (theme_key is stable across refits: a refit's topics are matched to the
-- catalogue by term similarity), and which documents carry which theme.

CREATE SEQUENCE theme_fit_seq START 1;
CREATE SEQUENCE theme_key_seq START 1;

-- grain: one row per model fit
CREATE TABLE theme_fits (
    fit_id INTEGER PRIMARY KEY,
    fitted_at TIMESTAMP NOT NULL,
    actor VARCHAR,
    documents BIGINT NOT NULL,        -- documents read (tickets with a subject/description, commented responses)
    distinct_texts BIGINT NOT NULL,
    sample_size BIGINT NOT NULL,      -- documents the model was fitted on (a seeded sample on large corpora)
    n_themes INTEGER NOT NULL,
    chosen_by VARCHAR NOT NULL,       -- 'stability' or 'fixed'
    stability JSON,                   -- {"k": mean matched cosine similarity across seeded refits}
    seed INTEGER NOT NULL,
    vocabulary INTEGER NOT NULL,
    model_path VARCHAR,
    seconds DOUBLE
);

-- grain: one row per theme ever found; the analyst's name, pin and merge survive refits
CREATE TABLE themes (
    theme_key INTEGER PRIMARY KEY,
    auto_label VARCHAR NOT NULL,      -- from the latest fit's top terms
    name VARCHAR,                     -- the analyst's name (NULL: use auto_label)
    pinned BOOLEAN NOT NULL DEFAULT false,
    merged_into INTEGER,              -- counted as that theme everywhere (never a chain)
    active BOOLEAN NOT NULL DEFAULT true,  -- found by (or pinned into) the latest fit
    top_terms JSON,
    term_weights JSON,                -- {"term": weight} of the latest fit, used to match the next fit
    examples JSON,                    -- redacted example verbatims
    first_fit_id INTEGER,
    last_fit_id INTEGER,
    match_similarity DOUBLE,          -- cosine similarity to its previous version at the latest refit
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- grain: one row per document x theme it carries; theme_key NULL = read by the model, no theme above threshold
CREATE TABLE theme_documents (
    doc_kind VARCHAR NOT NULL,        -- 'ticket' or 'survey'
    source VARCHAR NOT NULL,
    doc_id VARCHAR NOT NULL,          -- ticket_id or response_id
    theme_key INTEGER,
    weight DOUBLE,                    -- share of the document's topic weight on this theme
    is_request BOOLEAN NOT NULL DEFAULT false,  -- the text asks for a product feature
    request VARCHAR,                  -- what it asks for, normalised for grouping ("dark mode")
    text_hash VARCHAR,                -- md5 of the text read: a changed text is read again
    fit_id INTEGER NOT NULL
);

-- grain: one row per analyst edit (rename, pin, merge), for the record
CREATE TABLE theme_edits (
    edited_at TIMESTAMP NOT NULL,
    actor VARCHAR,
    theme_key INTEGER NOT NULL,
    action VARCHAR NOT NULL,
    old_value VARCHAR,
    new_value VARCHAR
);
