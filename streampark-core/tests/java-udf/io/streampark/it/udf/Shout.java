/*
 * A scalar UDF that exists only in its own jar: tests/artifacts_flink.rs ships that jar with a
 * SQL job (JobSpec::jars) and checks the job can call it. Built by scripts/build-udf-jar.
 */
package io.streampark.it.udf;

import org.apache.flink.table.functions.ScalarFunction;

public class Shout extends ScalarFunction {
    public String eval(String s) {
        return s == null ? null : "shout:" + s.toUpperCase();
    }
}
