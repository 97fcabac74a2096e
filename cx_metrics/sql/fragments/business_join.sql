-- join the hours of {1} and {2} (naive UTC timestamps) to the business-hours table bh (see business_hour_table)
LEFT JOIN bh AS bh_start ON bh_start.h = epoch_us({1}) // 3600000000
LEFT JOIN bh AS bh_end ON bh_end.h = epoch_us({2}) // 3600000000
