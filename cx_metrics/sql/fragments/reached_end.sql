-- whether ticket t has reached the end point {1} (first_response / first_resolution / full_resolution), recorded or
-- not: solved or closed; for the first response also pending or on hold (a ticket waiting for the customer has had
-- an agent's reply)
(t.status IN ('solved', 'closed') OR ({1} = 'first_response' AND t.status IN ('pending', 'hold')))
