package jmglu.gpu;

import static org.jocl.CL.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/** {@link OpenClContext}'s device discovery (the list its device indices refer to) and device queries. */
final class ClDevices {
    private ClDevices() {}

    /** Every device of every platform, GPUs first (then accelerators, then CPUs, each in platform order). */
    static List<OpenClContext.DeviceRef> all() {
        CL.setExceptionsEnabled(true);
        List<OpenClContext.DeviceRef> out = new ArrayList<>();
        int[] np = new int[1];
        try {
            clGetPlatformIDs(0, null, np);
        } catch (CLException e) {
            return out;                                   // CL_PLATFORM_NOT_FOUND_KHR: no ICD installed
        }
        cl_platform_id[] ps = new cl_platform_id[np[0]];
        clGetPlatformIDs(ps.length, ps, null);
        for (long type : new long[] {CL_DEVICE_TYPE_GPU, CL_DEVICE_TYPE_ACCELERATOR, CL_DEVICE_TYPE_CPU}) {
            for (cl_platform_id p : ps) {
                int[] nd = new int[1];
                try {
                    clGetDeviceIDs(p, type, 0, null, nd);
                } catch (CLException e) {
                    continue;                             // CL_DEVICE_NOT_FOUND for this type
                }
                cl_device_id[] ds = new cl_device_id[nd[0]];
                clGetDeviceIDs(p, type, ds.length, ds, null);
                for (cl_device_id d : ds)
                    out.add(new OpenClContext.DeviceRef(p, d, infoString(d, CL_DEVICE_NAME), platformName(p), type));
            }
        }
        return out;
    }

    static String listing(List<OpenClContext.DeviceRef> all) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < all.size(); i++) sb.append(i == 0 ? "" : ", ").append(i).append(": ").append(all.get(i).describe());
        return sb.toString();
    }

    static String infoString(cl_device_id d, int param) {
        long[] size = new long[1];
        clGetDeviceInfo(d, param, 0, null, size);
        byte[] b = new byte[(int) size[0]];
        clGetDeviceInfo(d, param, b.length, Pointer.to(b), null);
        return new String(b, 0, Math.max(0, b.length - 1), StandardCharsets.UTF_8);
    }

    static String platformName(cl_platform_id p) {
        long[] size = new long[1];
        clGetPlatformInfo(p, CL_PLATFORM_NAME, 0, null, size);
        byte[] b = new byte[(int) size[0]];
        clGetPlatformInfo(p, CL_PLATFORM_NAME, b.length, Pointer.to(b), null);
        return new String(b, 0, Math.max(0, b.length - 1), StandardCharsets.UTF_8);
    }

    static long infoLong(cl_device_id d, int param) {
        long[] v = new long[1];
        clGetDeviceInfo(d, param, Sizeof.cl_ulong, Pointer.to(v), null);
        return v[0];
    }

    static long infoInt(cl_device_id d, int param) {
        int[] v = new int[1];
        clGetDeviceInfo(d, param, Sizeof.cl_uint, Pointer.to(v), null);
        return v[0];
    }

    static long infoSizeT(cl_device_id d, int param) {
        long[] v = new long[1];
        clGetDeviceInfo(d, param, Sizeof.size_t, Pointer.to(v), null);
        return v[0];
    }
}
