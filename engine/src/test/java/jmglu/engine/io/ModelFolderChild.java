package jmglu.engine.io;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.Map;
import jmglu.engine.Tensor;

/**
 * The other process of ModelFolderTest.
 * <pre>
 *   hold  DIR   take DIR's lock, print "LOCKED", hold it until stdin closes
 *   write DIR   take the lock, begin a write, print "STAGING path", then write 50 shards of 1 MB slowly
 *               (the test kills it midway), commit
 * </pre>
 */
public final class ModelFolderChild {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        try (ModelFolder.Lock lock = ModelFolder.lock(dir)) {
            if (args[0].equals("hold")) {
                System.out.println("LOCKED");
                System.out.flush();
                new BufferedReader(new InputStreamReader(System.in)).readLine();
                return;
            }
            try (ModelFolder.Writer w = ModelFolder.beginWrite(dir, lock)) {
                System.out.println("STAGING " + w.staging());
                System.out.flush();
                float[] mb = new float[1 << 18];
                for (int k = 0; k < 50; k++) {
                    java.util.Arrays.fill(mb, k);
                    w.writeSafetensors("part-" + k + ".safetensors", Map.of("w", Tensor.of(mb, mb.length)), Map.of());
                    Thread.sleep(40);
                }
                w.commit();
            }
        }
    }
}
