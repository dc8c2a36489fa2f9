package jmglu.gpu;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Shared by the OpenCL tests: a missing OpenCL platform is a failure when the environment
 * variable CI is set (CI installs PoCL), and a skip elsewhere.
 */
final class OpenClTesting {
    private OpenClTesting() {}

    static void requireOpenCl() {
        String why = OpenClProvider.probe();
        if (why == null) return;
        if (System.getenv("CI") != null) fail("CI is set but OpenCL is unavailable: " + why);
        assumeTrue(false, "OpenCL unavailable, skipping: " + why);
    }
}
