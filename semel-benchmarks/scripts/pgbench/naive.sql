\set k random(1, 1000000000000)
INSERT INTO pgb_naive (idempotency_key) VALUES ('bench-' || :k::bigint) ON CONFLICT DO NOTHING;
UPDATE pgb_naive SET status = 201, content_type = 'application/json', body = convert_to('{"id":"pay_1","amount":1250,"currency":"EUR","status":"created"}', 'UTF8') WHERE idempotency_key = 'bench-' || :k::bigint;
