package dev.alexnet.service.api.v2;

import java.util.ArrayList;
import java.util.List;

import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * A tensor's {@code data} as the protocol allows it in JSON: flat, or nested one array per
 * dimension. The values are kept flat in row-major order, with what the nesting looked like, so
 * that the validator can check it against the declared shape element by element: {@code lengths}
 * holds the length of the arrays at each depth (the first seen), and {@code problem} the first
 * place where the nesting was ragged or an element was not a number.
 */
@JsonDeserialize(using = TensorData.Reader.class)
record TensorData(float[] values, List<Integer> lengths, String problem) {

    /** Data that arrived as raw bytes (the binary tensor data extension): flat. */
    static TensorData flat(float[] values) {
        return new TensorData(values, List.of(values.length), null);
    }

    /** Reads nested or flat arrays of numbers in one pass, without an intermediate tree. */
    static final class Reader extends ValueDeserializer<TensorData> {

        @Override
        public TensorData deserialize(JsonParser parser, DeserializationContext context) {
            if (parser.currentToken() != JsonToken.START_ARRAY) {
                return new TensorData(new float[0], List.of(), "data is not an array");
            }
            State state = new State();
            read(parser, state, 0, "");
            return new TensorData(state.values.length == state.size ? state.values : java.util.Arrays.copyOf(state.values, state.size),
                    List.copyOf(state.lengths), state.problem);
        }

        private static final class State {
            float[] values = new float[1 << 16];
            int size;
            final List<Integer> lengths = new ArrayList<>();
            String problem;

            void add(float v) {
                if (size == values.length) {
                    values = java.util.Arrays.copyOf(values, values.length * 2);
                }
                values[size++] = v;
            }
        }

        private static String describe(JsonToken token) {
            return switch (token) {
                case VALUE_STRING -> "a string";
                case VALUE_TRUE, VALUE_FALSE -> "a boolean";
                case VALUE_NULL -> "null";
                case START_OBJECT -> "an object";
                default -> token.name();
            };
        }

        /** Reads one array (its START_ARRAY is current) at {@code depth}. */
        private static void read(JsonParser parser, State state, int depth, String at) {
            int count = 0;
            JsonToken token;
            boolean nested = false;
            while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
                if (token == null) {
                    return;
                }
                if (token == JsonToken.START_ARRAY) {
                    nested = true;
                    read(parser, state, depth + 1, at + "[" + count + "]");
                } else if (token.isNumeric()) {
                    if (nested && state.problem == null) {
                        state.problem = "numbers and arrays are mixed at " + (at.isEmpty() ? "the top level" : at);
                    }
                    double value = parser.getDoubleValue();
                    state.add((float) value);
                } else {
                    if (state.problem == null) {
                        state.problem = "element " + at + "[" + count + "] is " + describe(token) + ", not a number";
                    }
                    parser.skipChildren();
                    state.add(Float.NaN);
                }
                count++;
            }
            // Arrays end deepest first: a depth's length is set by the first array there to end.
            while (state.lengths.size() <= depth) {
                state.lengths.add(-1);
            }
            if (state.lengths.get(depth) == -1) {
                state.lengths.set(depth, count);
            } else if (state.lengths.get(depth) != count && state.problem == null) {
                state.problem = "the arrays at depth " + (depth + 1) + " differ in length (" + state.lengths.get(depth) + " and "
                        + count + " at " + (at.isEmpty() ? "the top level" : at) + ")";
            }
        }
    }
}
