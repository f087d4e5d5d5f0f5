/*
 * streampark-rs jar launcher: runs a user's jar program with a job configuration on Flink
 * releases whose REST API cannot carry one (POST /jars/:id/run has no "flinkConfiguration"
 * before 1.17). The deployer ships this class inside the user's jar (as lib/ of it) and makes
 * it the entry class:
 *
 *   --conf-b64 <base64 of UTF-8 "key=value" lines> --main <user main class> -- <user args>...
 *
 * The configuration (pipeline.name first of all: the deployer's tag) reaches every execution
 * environment the user's main() receives from getExecutionEnvironment().
 */
package io.streampark.runner;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironmentFactory;

public final class JarLauncher {
    private JarLauncher() {}

    public static void main(String[] args) throws Throwable {
        String conf = null;
        String main = null;
        List<String> rest = new ArrayList<>();
        int i = 0;
        for (; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                i++;
                break;
            } else if (a.equals("--conf-b64") && i + 1 < args.length) {
                conf = new String(Base64.getDecoder().decode(args[++i]), StandardCharsets.UTF_8);
            } else if (a.equals("--main") && i + 1 < args.length) {
                main = args[++i];
            } else {
                throw new IllegalArgumentException("streampark jar launcher: unknown argument " + a
                        + " (usage: --conf-b64 B64 --main CLASS -- ARGS...)");
            }
        }
        rest.addAll(Arrays.asList(args).subList(Math.min(i, args.length), args.length));
        if (main == null || main.isEmpty()) {
            throw new IllegalArgumentException("streampark jar launcher: no --main class given");
        }
        Configuration c = new Configuration();
        if (conf != null) {
            for (String line : conf.split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    c.setString(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        }
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        // The JobManager runs the program with a context factory installed: a new environment
        // per getExecutionEnvironment() call (web submission) or the same one (job graph
        // preview). Wrapping that factory gives the configuration to every environment the
        // program receives, on every release.
        StreamExecutionEnvironmentFactory original = contextFactory();
        Method init = StreamExecutionEnvironment.class.getDeclaredMethod(
                "initializeContextEnvironment", StreamExecutionEnvironmentFactory.class);
        init.setAccessible(true);
        if (original != null) {
            StreamExecutionEnvironmentFactory wrapped = given -> {
                Configuration merged = new Configuration();
                merged.addAll(given);
                merged.addAll(c);
                StreamExecutionEnvironment env = original.createExecutionEnvironment(merged);
                env.configure(c, loader);
                ownConfiguration(env).addAll(c);
                return env;
            };
            init.invoke(null, wrapped);
        }
        Class<?> cls;
        try {
            cls = Class.forName(main, true, loader);
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("streampark jar launcher: main class " + main
                    + " is not in the program jar", e);
        }
        Method m = cls.getMethod("main", String[].class);
        if (!Modifier.isStatic(m.getModifiers())) {
            throw new IllegalArgumentException("streampark jar launcher: " + main + ".main is not static");
        }
        try {
            m.invoke(null, (Object) rest.toArray(new String[0]));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        } finally {
            if (original != null) {
                init.invoke(null, original);
            }
        }
    }

    /** The context factory in force for this thread (the thread-local one wins, as in Flink). */
    @SuppressWarnings("unchecked")
    private static StreamExecutionEnvironmentFactory contextFactory() throws ReflectiveOperationException {
        Field tl = StreamExecutionEnvironment.class.getDeclaredField("threadLocalContextEnvironmentFactory");
        tl.setAccessible(true);
        StreamExecutionEnvironmentFactory f =
                ((ThreadLocal<StreamExecutionEnvironmentFactory>) tl.get(null)).get();
        if (f != null) {
            return f;
        }
        Field st = StreamExecutionEnvironment.class.getDeclaredField("contextEnvironmentFactory");
        st.setAccessible(true);
        return (StreamExecutionEnvironmentFactory) st.get(null);
    }

    /** The environment's own configuration (getConfiguration() is a read-only view on some releases). */
    private static Configuration ownConfiguration(StreamExecutionEnvironment env) {
        try {
            Field f = StreamExecutionEnvironment.class.getDeclaredField("configuration");
            f.setAccessible(true);
            return (Configuration) f.get(env);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("streampark jar launcher: " + e, e);
        }
    }
}
