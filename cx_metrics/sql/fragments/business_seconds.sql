-- business seconds from the start of the hours table to timestamp {1} whose hour row is {2} (see business_join):
-- the business seconds before that hour, the open whole minutes before the timestamp's minute, and its seconds
-- when that minute is open.
(
    {2}.c
    + CAST(bit_count({2}.m & ((CAST(1 AS BIGINT) << CAST((epoch_us({1}) % 3600000000) // 60000000 AS INTEGER)) - 1))
           AS BIGINT) * 60
    + CASE WHEN (({2}.m >> CAST((epoch_us({1}) % 3600000000) // 60000000 AS INTEGER)) & 1) = 1
           THEN (epoch_us({1}) % 60000000) / 1e6 ELSE 0 END
)
