package jmglu.engine.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Hand-made safetensors bytes for tests: header length, header JSON, then zero data bytes. */
final class Raw {
    private Raw() {}

    /** The JSON's byte length, the JSON, then dataBytes zero bytes. */
    static byte[] file(String json, int dataBytes) {
        return file(json.getBytes(StandardCharsets.UTF_8).length, json, dataBytes);
    }

    /** headerLen (whatever it is), the JSON, then dataBytes zero bytes. */
    static byte[] file(long headerLen, String json, int dataBytes) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + j.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLen).put(j);
        return b.array();
    }

    /** One entry of a header. */
    static String entry(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }
}
