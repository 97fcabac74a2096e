-- LEFT JOIN of customers as alias c on the customer id {1}, for queries grouping by ticket_group ($by): the joined
-- side is empty unless a customer filter is set or $by is a customer attribute (plan, region, segment), so the
-- join costs nothing for a channel or weekly breakdown (bound parameters are planned as constants).
-- Needs: the customer id column {1}; $by; $all_plans, $all_regions, $all_segments (Filters.params()).
LEFT JOIN (
    SELECT * FROM customers
    WHERE NOT ($all_plans AND $all_regions AND $all_segments) OR $by IN ('plan', 'region', 'segment')
) AS c ON c.customer_id = {1}
