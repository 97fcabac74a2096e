-- shared sidebar filters on the customer (alias c); an empty selection keeps everyone
-- Needs: alias c (customers); $all_plans, $plans, $all_regions, $regions, $all_segments, $segments
-- (Filters.params()).
AND ($all_plans OR list_contains(CAST($plans AS VARCHAR[]), c.plan))
AND ($all_regions OR list_contains(CAST($regions AS VARCHAR[]), c.region))
AND ($all_segments OR list_contains(CAST($segments AS VARCHAR[]), c.segment))
