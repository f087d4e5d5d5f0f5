/*
 * The calls that differ between the Flink releases the runner supports (1.14 to 2.x).
 */
package io.streampark.runner;

import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.flink.table.api.TableEnvironment;

final class Compat {
    private Compat() {}

    /** The Flink release the runner runs on, e.g. "1.14.6". */
    static String version() {
        return EnvironmentInformation.getVersion();
    }

    /** True when the release is older than major.minor (an unreadable version counts as new). */
    static boolean olderThan(int major, int minor) {
        String[] parts = version().split("[.-]");
        try {
            int ma = Integer.parseInt(parts[0]);
            int mi = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            return ma < major || (ma == major && mi < minor);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** SET key = value: TableConfig#set(String, String) arrived in 1.15; this works on all. */
    static void set(TableEnvironment env, String key, String value) {
        env.getConfig().getConfiguration().setString(key, value);
    }

    /** RESET key. */
    static void reset(TableEnvironment env, String key) {
        env.getConfig().getConfiguration().removeKey(key);
    }
}
