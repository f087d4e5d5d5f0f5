CREATE TABLE kafka_orders (
  `order_id` BIGINT,
  `user` STRING,
  amount DECIMAL(12, 2) NOT NULL,
  tags ARRAY<STRING>,
  attrs MAP<STRING, INT>,
  address ROW<city STRING, zip STRING 'postal code'>,
  kafka_ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,
  `partition` INT METADATA VIRTUAL,
  proc AS PROCTIME(),
  ts AS TO_TIMESTAMP_LTZ(order_id, 3),
  WATERMARK FOR kafka_ts AS kafka_ts - INTERVAL '3' SECOND,
  CONSTRAINT pk PRIMARY KEY (order_id) NOT ENFORCED
) COMMENT 'orders from kafka'
PARTITIONED BY (`user`)
WITH (
  'connector' = 'kafka',
  'topic' = 'orders',
  'properties.bootstrap.servers' = 'kafka:9092',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'json'
)
;
CREATE TABLE jdbc_sink (id BIGINT PRIMARY KEY NOT ENFORCED, total DECIMAL(20, 2)) WITH ('connector' = 'jdbc', 'url' = 'jdbc:mysql://db:3306/x', 'table-name' = 'totals')
;
CREATE TABLE bad_pk (id BIGINT, PRIMARY KEY (id)) WITH ('connector' = 'print')
;
CREATE TABLE bad_reserved (id BIGINT, value STRING) WITH ('connector' = 'print')
;
CREATE TABLE bad_comma (id BIGINT, name STRING,) WITH ('connector' = 'print')
;
CREATE TABLE bad_option (id BIGINT) WITH (connector = 'print')
;
CREATE TEMPORARY TABLE gen WITH ('connector' = 'datagen', 'rows-per-second' = '5') LIKE kafka_orders (EXCLUDING ALL INCLUDING WATERMARKS)
;
CREATE TABLE sink_copy WITH ('connector' = 'blackhole') LIKE kafka_orders (EXCLUDING OPTIONS OVERWRITING WATERMARKS)
;
CREATE TABLE ctas_t WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = 'csv') AS SELECT order_id, amount FROM kafka_orders WHERE amount > 10
;
CREATE TABLE dist_t (a INT, b STRING) DISTRIBUTED BY HASH(a) INTO 4 BUCKETS WITH ('connector' = 'x')
;
INSERT INTO jdbc_sink SELECT order_id, SUM(amount) FROM kafka_orders GROUP BY order_id
;
INSERT OVERWRITE fs_sink PARTITION (dt = '2024-01-01', hr = '10') SELECT a, b FROM src
;
INSERT INTO sink /*+ OPTIONS('sink.parallelism' = '2') */ SELECT * FROM src /*+ OPTIONS('scan.startup.mode' = 'latest-offset') */
;
INSERT INTO sink (a, b) VALUES (1, 'x'), (2, 'y')
;
INSERT INTO sink SELECT * FROM src WHERE
;
EXECUTE STATEMENT SET BEGIN
INSERT INTO s1 SELECT a FROM src;
INSERT INTO s2 SELECT b FROM src WHERE b IS NOT NULL;
END
;
EXECUTE STATEMENT SET BEGIN
INSERT INTO s1 SELECT a FROM src
END
;
SELECT window_start, window_end, `user`, COUNT(*) AS cnt, SUM(amount) FILTER (WHERE amount > 0) AS pos
FROM TABLE(TUMBLE(TABLE kafka_orders, DESCRIPTOR(kafka_ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, `user`
;
SELECT * FROM TABLE(HOP(TABLE kafka_orders, DESCRIPTOR(kafka_ts), INTERVAL '5' SECOND, INTERVAL '1' MINUTE))
;
SELECT * FROM TABLE(CUMULATE(DATA => TABLE kafka_orders, TIMECOL => DESCRIPTOR(kafka_ts), STEP => INTERVAL '1' MINUTE, SIZE => INTERVAL '1' HOUR))
;
SELECT o.order_id, r.rate FROM orders AS o JOIN rates FOR SYSTEM_TIME AS OF o.proc AS r ON o.currency = r.currency
;
SELECT o.order_id, t.tag FROM orders o, LATERAL TABLE(split_tags(o.tags)) AS t(tag)
;
SELECT o.order_id, t.tag FROM orders o LEFT JOIN LATERAL TABLE(split_tags(o.tags)) AS t(tag) ON TRUE
;
SELECT * FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY `user` ORDER BY amount DESC) AS rn FROM kafka_orders
) WHERE rn <= 3
;
SELECT `user`, amount, SUM(amount) OVER (PARTITION BY `user` ORDER BY proc ROWS BETWEEN 10 PRECEDING AND CURRENT ROW) FROM kafka_orders
;
SELECT `user`, SUM(amount) OVER w FROM kafka_orders WINDOW w AS (PARTITION BY `user` ORDER BY proc RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW)
;
SELECT * FROM ticker MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY rowtime
  MEASURES A.price AS start_price, LAST(B.price) AS bottom, C.price AS end_price
  ONE ROW PER MATCH
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A B+ C) WITHIN INTERVAL '1' HOUR
  DEFINE B AS B.price < PREV(B.price), C AS C.price > PREV(C.price)
) AS T
;
WITH big AS (SELECT * FROM kafka_orders WHERE amount > 100), small AS (SELECT * FROM kafka_orders WHERE amount <= 100)
SELECT COUNT(*) FROM big UNION ALL SELECT COUNT(*) FROM small
;
SELECT CASE WHEN amount > 100 THEN 'big' WHEN amount > 10 THEN 'mid' ELSE 'small' END AS size, CAST(amount AS INT), TRY_CAST(`user` AS BIGINT) FROM kafka_orders
;
SELECT EXTRACT(HOUR FROM ts), DATE_FORMAT(ts, 'yyyy-MM-dd'), TIMESTAMPDIFF(SECOND, ts, CURRENT_TIMESTAMP), ts + INTERVAL '1' DAY FROM t
;
SELECT a, b FROM t WHERE a IN (SELECT a FROM u) AND b NOT LIKE 'x%' AND c BETWEEN 1 AND 10 AND d IS NOT NULL
;
SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.a = t.a) ORDER BY a DESC LIMIT 10
;
SELECT JSON_VALUE(payload, '$.id' RETURNING INT DEFAULT 0 ON EMPTY), JSON_OBJECT(KEY 'a' VALUE 1, 'b' VALUE `user`) FROM t
;
SELECT a, COUNT(DISTINCT b) FROM t GROUP BY GROUPING SETS ((a), ())
;
SELECT a.x, b.y FROM a FULL OUTER JOIN b ON a.id = b.id
;
SELECT * FROM a, b WHERE a.id = b.id AND a.ts BETWEEN b.ts - INTERVAL '1' HOUR AND b.ts
;
SELECT day, COUNT(*) FROM t GROUP BY day
;
SELECT a FROM t WHERE a = = 1
;
SELECT a, FROM t
;
SELECT a FROM t GROUP a
;
SELECT SUBSTRING(s FROM 2 FOR 3), TRIM(BOTH ' ' FROM s), POSITION('a' IN s), OVERLAY(s PLACING 'x' FROM 1) FROM t
;
SELECT ARRAY[1, 2, 3][1], MAP['a', 1]['a'], ROW(1, 'x'), CARDINALITY(tags) FROM t
;
SELECT * FROM t /*+ OPTIONS('k' = 'v') */ AS x
;
SELECT /*+ STATE_TTL('a' = '1d', 'b' = '12h') */ a.id FROM a JOIN b ON a.id = b.id
;
SELECT /*+ BROADCAST(b) */ a.id FROM a JOIN b ON a.id = b.id
;
SELECT /*+ BROADCAST(b) SHUFFLE_HASH(a) */ a.id FROM a JOIN b ON a.id = b.id
;
CREATE VIEW big_orders (id, amt) COMMENT 'big' AS SELECT order_id, amount FROM kafka_orders WHERE amount > 1000
;
CREATE TEMPORARY VIEW IF NOT EXISTS v AS VALUES (1, 'a'), (2, 'b')
;
CREATE TEMPORARY SYSTEM FUNCTION my_udf AS 'com.example.MyUdf' LANGUAGE JAVA
;
CREATE FUNCTION IF NOT EXISTS cat.db.py_udf AS 'udfs.my_func' LANGUAGE PYTHON
;
CREATE FUNCTION my_jar_udf AS 'com.example.Udf' USING JAR 'hdfs:///udf/a.jar', JAR 'hdfs:///udf/b.jar'
;
CREATE CATALOG my_hive WITH ('type' = 'hive', 'hive-conf-dir' = '/etc/hive/conf')
;
CREATE DATABASE IF NOT EXISTS my_hive.analytics COMMENT 'analytics' WITH ('owner' = 'bi')
;
ALTER TABLE kafka_orders SET ('scan.startup.mode' = 'latest-offset')
;
ALTER TABLE kafka_orders RESET ('scan.startup.mode')
;
ALTER TABLE kafka_orders ADD (discount DECIMAL(5, 2) COMMENT 'discount' AFTER amount, WATERMARK FOR proc_ts AS proc_ts)
;
ALTER TABLE kafka_orders MODIFY amount DECIMAL(14, 2) FIRST
;
ALTER TABLE kafka_orders DROP (tags, attrs)
;
ALTER TABLE kafka_orders RENAME amount TO total_amount
;
ALTER TABLE IF EXISTS kafka_orders RENAME TO orders_v2
;
ALTER VIEW big_orders AS SELECT order_id FROM kafka_orders
;
DROP TABLE IF EXISTS my_hive.analytics.orders
;
DROP TEMPORARY VIEW IF EXISTS v
;
DROP DATABASE IF EXISTS my_hive.analytics CASCADE
;
CREATE MATERIALIZED TABLE daily_totals
PARTITIONED BY (ds)
WITH ('format' = 'json')
FRESHNESS = INTERVAL '1' HOUR
REFRESH_MODE = FULL
AS SELECT ds, SUM(amount) AS total FROM orders GROUP BY ds
;
ALTER MATERIALIZED TABLE daily_totals REFRESH PARTITION (ds = '2024-01-01')
;
ALTER MATERIALIZED TABLE daily_totals SET FRESHNESS = INTERVAL '30' MINUTE
;
SET 'execution.checkpointing.interval' = '30s'
;
SET 'pipeline.name' = 'orders-job'
;
SET table.exec.state.ttl = 1h
;
RESET 'table.exec.state.ttl'
;
SHOW TABLES FROM my_hive.analytics LIKE 'ord%'
;
SHOW CREATE TABLE kafka_orders
;
DESCRIBE EXTENDED kafka_orders
;
DESC kafka_orders
;
USE CATALOG my_hive
;
USE my_hive.analytics
;
LOAD MODULE hive WITH ('hive-version' = '3.1.3')
;
UNLOAD MODULE hive
;
ADD JAR '/opt/udfs/my-udf.jar'
;
EXPLAIN PLAN FOR SELECT * FROM kafka_orders
;
EXPLAIN CHANGELOG_MODE, ESTIMATED_COST SELECT * FROM kafka_orders
;
EXPLAIN STATEMENT SET BEGIN INSERT INTO s1 SELECT a FROM src; END
;
STOP JOB '228d70913eab60dda85c5e7f78b5782c' WITH SAVEPOINT WITH DRAIN
;
SHOW JOBS
;
ANALYZE TABLE kafka_orders COMPUTE STATISTICS FOR ALL COLUMNS
;
TRUNCATE TABLE kafka_orders
;
DELETE FROM t WHERE a = 1
;
UPDATE t SET a = 1, b = 'x' WHERE c > 0
;
CALL my_catalog.sys.compact('db.tbl')
;
CREATE TABLE t2 (id INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND, WATERMARK FOR ts AS ts) WITH ('connector' = 'x')
;
CREATE TABLE t3 (id INT, c AS (SELECT 1)) WITH ('connector' = 'x')
;
CREATE TABLE t4 (id INT NOT NULL, PRIMARY KEY (id) NOT ENFORCED, UNIQUE (id)) WITH ('connector' = 'x')
;
SELECT `timestamp`, `value`, `user` FROM t
;
SELECT a FROM t WHERE b = 'it''s'
;
SELECT 'unterminated FROM t
;
SELECT a FROM `unterminated
;
SELECT a FROM t WHERE a > 1 /* unterminated comment
;
SELECT COALESCE(a, 0), NULLIF(b, ''), IF(c > 0, 'p', 'n'), MOD(d, 3), POWER(e, 2) FROM t
;
SELECT a FROM t1 NATURAL JOIN t2
;
SELECT a FROM t1 CROSS JOIN UNNEST(t1.arr) AS x (e)
;
SELECT a FROM t1 LEFT ANTI JOIN t2 ON t1.a = t2.a
;
SELECT x FROM t ORDER BY x NULLS LAST OFFSET 5 ROWS FETCH NEXT 3 ROWS ONLY
;
SELECT a <> b, a != b FROM t
;
SELECT a FROM t WHERE a SIMILAR TO 'x%' ESCAPE '!'
;
SELECT a::INT FROM t
;
SELECT CAST(a AS ROW<x INT, y STRING>), CAST(b AS ARRAY<INT NOT NULL>), CAST(c AS MAP<STRING, BIGINT>) FROM t
;
SELECT DISTINCT a FROM t HAVING COUNT(*) > 1
;
SELECT a FROM t QUALIFY ROW_NUMBER() OVER (ORDER BY a) = 1
;
SELECT TIMESTAMP '2024-01-01 00:00:00', DATE '2024-01-01', TIME '10:00:00', INTERVAL '1-2' YEAR TO MONTH, INTERVAL '1 10:00:00' DAY TO SECOND FROM t
;
SELECT a FROM t LIMIT 10, 20
;
SELECT a FROM t WHERE a IN ()
;
SELECT a FROM t WHERE a NOT IN (1, 2, 3) OR b IS DISTINCT FROM c
