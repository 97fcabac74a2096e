-- LEFT JOIN of the customers the shared customer filters look at, as alias c, on the customer id {1}. With no
-- customer filter set the joined side is empty (bound parameters are planned as constants), so the join costs
-- nothing and every row keeps its NULL c.*: only for queries where c serves customer_filters and nothing else.
-- Needs: the customer id column {1}; $all_plans, $all_regions, $all_segments (Filters.params()).
LEFT JOIN (SELECT * FROM customers WHERE NOT ($all_plans AND $all_regions AND $all_segments)) AS c
    ON c.customer_id = {1}
