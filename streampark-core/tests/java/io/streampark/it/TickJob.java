/*
 * Test program for the conformance suite: an endless, throttled DataStream job with keyed state
 * (so savepoints carry something). Never hard-codes its name: the deployer's tag arrives as
 * pipeline.name. Written against the API every release from 1.14 to 2.x has (no OpenContext,
 * which arrived in 1.19; no sink classes, which moved in 2.0), so one source builds for each.
 */
package io.streampark.it;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

public final class TickJob {
    private TickJob() {}

    /**
     * Sleeps before passing each element on. Chained to the source, it throttles the source
     * itself, so no backlog of buffered elements builds up in front of the keyed operator and
     * checkpoint barriers (savepoints are always aligned) pass within milliseconds.
     */
    static final class Throttle implements MapFunction<Long, Long> {
        @Override
        public Long map(Long value) throws Exception {
            Thread.sleep(50);
            return value;
        }
    }

    /** Counts per key (keyed state, so savepoints carry something). */
    static final class Count extends RichMapFunction<Long, Long> {
        private transient ValueState<Long> count;

        @Override
        public Long map(Long value) throws Exception {
            if (count == null) {
                count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Long.class));
            }
            Long c = count.value();
            long next = (c == null ? 0L : c) + 1;
            count.update(next);
            return next;
        }
    }

    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.fromSequence(0, Long.MAX_VALUE)
                .map(new Throttle())
                .uid("throttle")
                .keyBy(v -> v % 8)
                .map(new Count())
                .uid("slow-count")
                .filter(v -> false)
                .uid("drop")
                .print();
        env.execute();
    }
}
