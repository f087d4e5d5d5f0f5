/*
 * Test program for the conformance suite: an endless, throttled DataStream job with keyed state
 * (so savepoints carry something). Never hard-codes its name: the deployer's tag arrives as
 * pipeline.name.
 */
package io.streampark.it;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

public final class TickJob {
    private TickJob() {}

    /** Counts per key, sleeping between elements so the job idles instead of spinning. */
    static final class SlowCount extends RichMapFunction<Long, Long> {
        private transient ValueState<Long> count;

        @Override
        public void open(OpenContext ctx) {
            count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Long.class));
        }

        @Override
        public Long map(Long value) throws Exception {
            Thread.sleep(50);
            Long c = count.value();
            long next = (c == null ? 0L : c) + 1;
            count.update(next);
            return next;
        }
    }

    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.fromSequence(0, Long.MAX_VALUE)
                .keyBy(v -> v % 8)
                .map(new SlowCount())
                .uid("slow-count")
                .sinkTo(new DiscardingSink<>());
        env.execute();
    }
}
