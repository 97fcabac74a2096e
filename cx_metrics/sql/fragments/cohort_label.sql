-- the cohort label named by the dimension parameter {1} of a row of `base` (customer columns, ref_at = when the
-- customer is looked at, interaction_channel, survey_name, touchpoint); {2} is the JSON path parameter of a
-- customer attribute. Included as cohort_label($dim1, $attr1) and cohort_label($dim2, $attr2).
CASE {1}
    WHEN 'all' THEN 'All'
    WHEN 'generation' THEN
        -- @include generation_bare
    WHEN 'age_band' THEN CASE
        WHEN birth_year IS NULL OR ref_at IS NULL THEN '(unknown)'
        WHEN year(ref_at) - birth_year < 25 THEN 'under 25'
        WHEN year(ref_at) - birth_year < 35 THEN '25-34'
        WHEN year(ref_at) - birth_year < 45 THEN '35-44'
        WHEN year(ref_at) - birth_year < 55 THEN '45-54'
        WHEN year(ref_at) - birth_year < 65 THEN '55-64'
        ELSE '65 and over' END
    WHEN 'signup_month' THEN coalesce(strftime(signup_at, '%Y-%m'), '(unknown)')
    WHEN 'signup_quarter' THEN coalesce(CAST(year(signup_at) AS VARCHAR) || '-Q' || CAST(quarter(signup_at) AS VARCHAR),
                                        '(unknown)')
    WHEN 'tenure_band' THEN CASE
        WHEN signup_at IS NULL OR ref_at IS NULL THEN '(unknown)'
        WHEN ref_at < signup_at THEN '(before signup)'
        WHEN ref_at < signup_at + INTERVAL 3 MONTH THEN 'under 3 months'
        WHEN ref_at < signup_at + INTERVAL 12 MONTH THEN '3-12 months'
        WHEN ref_at < signup_at + INTERVAL 24 MONTH THEN '1-2 years'
        WHEN ref_at < signup_at + INTERVAL 60 MONTH THEN '2-5 years'
        ELSE '5 years and over' END
    WHEN 'months_since_signup' THEN CASE WHEN signup_at IS NULL OR ref_at IS NULL OR ref_at < signup_at THEN '(unknown)'
        ELSE lpad(CAST(date_diff('month', signup_at, ref_at) AS VARCHAR), 3, '0') END
    WHEN 'quarters_since_signup' THEN CASE WHEN signup_at IS NULL OR ref_at IS NULL OR ref_at < signup_at THEN '(unknown)'
        ELSE lpad(CAST(date_diff('month', signup_at, ref_at) // 3 AS VARCHAR), 3, '0') END
    WHEN 'plan' THEN coalesce(plan, '(unknown)')
    WHEN 'segment' THEN coalesce(segment, '(unknown)')
    WHEN 'region' THEN coalesce(region, '(unknown)')
    WHEN 'country' THEN coalesce(country, '(unknown)')
    WHEN 'acquisition_channel' THEN coalesce(acquisition_channel, '(unknown)')
    WHEN 'channel' THEN coalesce(interaction_channel, '(no channel)')
    WHEN 'survey' THEN coalesce(survey_name, '(unnamed survey)')
    WHEN 'touchpoint' THEN coalesce(touchpoint, '(unknown)')
    ELSE coalesce(json_extract_string(attributes, {2}), '(unknown)') END
