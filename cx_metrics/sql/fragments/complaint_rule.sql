-- is ticket t a complaint? The configured rule when there is one (types, categories, tags, bad rating),
-- else the flag set at import (see cx_metrics.metrics.complaints.complaint_rule_params)
-- Needs: alias t (tickets); $custom_rule, $rule_types, $rule_categories, $rule_tags, $rule_low_csat
-- (complaints.complaint_rule_params).
(CASE WHEN $custom_rule THEN (
        list_contains(CAST($rule_types AS VARCHAR[]), lower(t.ticket_type))
        OR list_contains(CAST($rule_categories AS VARCHAR[]), lower(t.category))
        OR list_has_any(CAST($rule_tags AS VARCHAR[]), list_transform(coalesce(t.tags, []), lambda x: lower(x)))
        OR ($rule_low_csat AND ((t.satisfaction_scale = 'good_bad' AND t.satisfaction_score = 0)
                                OR (t.satisfaction_scale LIKE '1-%' AND t.satisfaction_score <= 2))))
    ELSE t.is_complaint END)
