package jmglu.gpu;

import static org.jocl.CL.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

/**
 * The programs and kernels of one {@link OpenClContext} (which delegates to this and serialises the calls): a program is
 * resource jmglu/gpu/{file} built with its options, after common.cl and the files its first line "//! needs a.cl ..."
 * names; built once per (file, options), its kernels created once per name. Launch sites that would otherwise build an
 * options string per launch find their kernel by a key of their own ({@link #kernel(Object, Supplier)}).
 */
final class ClPrograms {
    private final cl_context context;
    private final cl_device_id device;
    private final Map<String, cl_program> programs = new HashMap<>();
    private final Map<String, cl_kernel> kernels = new HashMap<>();
    private final Map<Object, cl_kernel> byKey = new HashMap<>();
    private final Map<cl_kernel, String> names = new IdentityHashMap<>();   // kernel → "file name options"

    ClPrograms(cl_context context, cl_device_id device) {
        this.context = context;
        this.device = device;
    }

    /** The kernel `name` of resource jmglu/gpu/{file}, built with `options` (cached). */
    cl_kernel kernel(String file, String options, String name) {
        String key = file + "|" + options + "|" + name;
        cl_kernel k = kernels.get(key);
        if (k != null) return k;
        cl_program prog = program(file, options);
        try {
            k = clCreateKernel(prog, name, null);
        } catch (CLException e) {
            throw OpenClContext.fail("creating kernel " + name + " of " + file, e);
        }
        kernels.put(key, k);
        names.put(k, file + " " + name + (options.isEmpty() ? "" : " " + options));
        return k;
    }

    /**
     * The kernel a launch site stands for by a key of its own (a record of the values its options are made of, e.g.
     * dtype, batch, mode): make (a {@link #kernel(String, String, String)} call) runs the first time only. A decode step
     * launches about 42 kernels, and building, joining and hashing an options string of 100–150 characters for each was
     * a third of the host's Java time a step (lab HostEnqueueLoop under JFR). A make that throws or returns null keeps nothing.
     */
    cl_kernel kernel(Object key, Supplier<cl_kernel> make) {
        cl_kernel k = byKey.get(key);
        if (k == null) {
            k = make.get();
            if (k != null) byKey.put(key, k);
        }
        return k;
    }

    /** "file name options" of a kernel made here, else "?". */
    String name(cl_kernel k) { return names.getOrDefault(k, "?"); }

    /** The built program's binary for this device (PTX text on NVIDIA), for inspection. */
    byte[] binary(String file, String options) {
        cl_program p = program(file, options);
        long[] size = new long[1];
        clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, Sizeof.size_t, Pointer.to(size), null);
        byte[] b = new byte[(int) size[0]];
        clGetProgramInfo(p, CL_PROGRAM_BINARIES, Sizeof.POINTER, Pointer.to(new Pointer[] {Pointer.to(b)}), null);
        return b;
    }

    private cl_program program(String file, String options) {
        String key = file + "|" + options;
        cl_program p = programs.get(key);
        if (p != null) return p;
        // common.cl (act, dot8, HSUM8) first, then the files a first line "//! needs a.cl ..." names, then the program's own source
        String own = resource(file);
        List<String> src = new ArrayList<>(List.of(resource("common.cl")));
        if (own.startsWith("//! needs ")) for (String f : own.lines().findFirst().orElseThrow().substring(10).trim().split("\\s+")) src.add(resource(f));
        src.add(own);
        p = clCreateProgramWithSource(context, src.size(), src.toArray(new String[0]), null, null);
        try {
            clBuildProgram(p, 1, new cl_device_id[] {device}, options, null, null);
        } catch (CLException e) {
            throw new IllegalStateException("OpenCL: building " + file + " with '" + options + "' failed: "
                    + CL.stringFor_errorCode(e.getStatus()) + "\n--- build log ---\n" + buildLog(p), e);
        }
        programs.put(key, p);
        return p;
    }

    private String buildLog(cl_program p) {
        try {
            long[] size = new long[1];
            clGetProgramBuildInfo(p, device, CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] b = new byte[(int) size[0]];
            clGetProgramBuildInfo(p, device, CL_PROGRAM_BUILD_LOG, b.length, Pointer.to(b), null);
            return new String(b, 0, Math.max(0, b.length - 1), StandardCharsets.UTF_8);
        } catch (CLException e) {
            return "(no build log: " + CL.stringFor_errorCode(e.getStatus()) + ")";
        }
    }

    static String resource(String file) {
        try (InputStream in = ClPrograms.class.getResourceAsStream("/jmglu/gpu/" + file)) {
            if (in == null) throw new IllegalStateException("OpenCL: kernel source jmglu/gpu/" + file + " is not on the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("OpenCL: reading jmglu/gpu/" + file, e);
        }
    }

    /** Releases every kernel and program made here. */
    void release() {
        for (cl_kernel k : kernels.values()) clReleaseKernel(k);
        for (cl_program p : programs.values()) clReleaseProgram(p);
        kernels.clear();
        byKey.clear();
        names.clear();
        programs.clear();
    }
}
