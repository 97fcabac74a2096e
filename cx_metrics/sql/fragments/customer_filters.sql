-- shared sidebar filters on the customer (alias c); an empty selection keeps everyone
AND ($all_plans OR list_contains(CAST($plans AS VARCHAR[]), c.plan))
AND ($all_regions OR list_contains(CAST($regions AS VARCHAR[]), c.region))
AND ($all_segments OR list_contains(CAST($segments AS VARCHAR[]), c.segment))
