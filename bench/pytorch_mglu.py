#!/usr/bin/env python3
"""PyTorch baselines for the MGLU kernel table, on the same shapes as `jmglu bench kernel`.

  SwiGLU:      y = silu(x Wgᵀ) * (x Wvᵀ)  (two fp16 GEMVs through cuBLAS, as torch.nn.functional.linear)
  naive MGLU:  per route i, materialise Wg = M_i ⊙ W and Wv = (1 − M_i) ⊙ W, then the two GEMVs,
               y += silu(gate) * value  (the paper's naive PyTorch version; masks stored as bool)

fp16 on CUDA, timed with CUDA events (median of many runs after warm-up), weight sets rotated so
that together they exceed 1 GiB (≫ the 60 MB L2 of an H200). Ceiling: device-to-device copy of a
1 GiB buffer, bytes read + written. Prints the same columns as the Java table and writes the same CSV
(device,dtype,h,d,nm,batch,kernel,ms,gbytes_per_s,pct_of_ceiling,max_rel_err).
Bytes counted: swiglu 2·d·h·2; naive MGLU nm·(d·h·2 + d·h) (W and the bool mask once per route:
a lower bound of what it really moves).

--compare OPENCL.csv prints, for each (nm, B), the OpenCL FlashMGLU time against these baselines.
"""
import argparse
import csv
import math
import sys

import torch
import torch.nn.functional as F

ROTATE_BYTES = 1 << 30


def median_ms(fn, sets, runs, warm):
    for i in range(warm):
        fn(i % sets)
    torch.cuda.synchronize()
    times = []
    for i in range(runs):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn(i % sets)
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    times.sort()
    return times[len(times) // 2]


def copy_gbps():
    n = ROTATE_BYTES
    src = torch.empty(n, dtype=torch.uint8, device="cuda").random_(0, 255)
    dst = torch.empty_like(src)
    ms = median_ms(lambda i: dst.copy_(src), 1, 30, 3)
    return 2.0 * n / (ms * 1e-3) / 1e9


def rel_err(a, e):
    a, e = a.double(), e.double()
    floor = 1e-3 * e.abs().max().item()
    return ((a - e).abs() / e.abs().clamp_min(floor)).max().item()


def swiglu(x, wg, wv):
    return F.silu(F.linear(x, wg)) * F.linear(x, wv)


def naive_mglu(x, w, masks):
    y = None
    for i in range(masks.shape[0]):
        wg = w * masks[i]                 # M_i ⊙ W, materialised (fp16)
        wv = w * (~masks[i])              # (1 − M_i) ⊙ W, materialised
        t = F.silu(F.linear(x, wg)) * F.linear(x, wv)
        y = t if y is None else y + t
    return y


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--h", type=int, default=4096)
    p.add_argument("--d", type=int, default=14336)
    p.add_argument("--masks", default="1,2,4,8")
    p.add_argument("--batch", default="1,8")
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--csv")
    p.add_argument("--compare", help="OpenCL CSV from the same run, to print speed-ups side by side")
    a = p.parse_args()
    if not torch.cuda.is_available():
        sys.exit("pytorch_mglu: CUDA is not available")
    torch.manual_seed(0)
    h, d = a.h, a.d
    masks_list = [int(s) for s in a.masks.split(",")]
    batches = [int(s) for s in a.batch.split(",")]
    dev = torch.cuda.get_device_name()
    ceil = copy_gbps()
    print(f"pytorch {torch.__version__} on {dev}; ceiling: copy bandwidth {ceil:.1f} GB/s (bytes read + written)")
    rows = []
    wbytes = d * h * 2
    print(f"{'h×d':<12} {'nm':>3} {'B':>3} {'naive ms':>10} {'swiglu ms':>10} {'naive GB/s':>10} {'%':>6} {'swiglu GB/s':>11} {'%':>6} {'max err':>9}")
    for B in batches:
        sw_sets = max(2, math.ceil(ROTATE_BYTES / (2 * wbytes)))
        wgs = [torch.randn(d, h, device="cuda", dtype=torch.float16) / math.sqrt(h) for _ in range(sw_sets)]
        wvs = [torch.randn(d, h, device="cuda", dtype=torch.float16) / math.sqrt(h) for _ in range(sw_sets)]
        x = torch.randn(B, h, device="cuda", dtype=torch.float16)
        sw_err = rel_err(swiglu(x, wgs[0], wvs[0]).float(),
                         (F.silu(x.double() @ wgs[0].double().T) * (x.double() @ wvs[0].double().T)))
        sw_ms = median_ms(lambda i: swiglu(x, wgs[i], wvs[i]), sw_sets, a.runs, 5)
        del wgs, wvs
        sw_g = 2 * wbytes / (sw_ms * 1e-3) / 1e9
        for nm in masks_list:
            per = wbytes + nm * d * h
            sets = max(2, math.ceil(ROTATE_BYTES / per))
            ws = [torch.randn(d, h, device="cuda", dtype=torch.float16) / math.sqrt(h) for _ in range(sets)]
            ms_ = [torch.rand(nm, d, h, device="cuda") < 0.5 for _ in range(sets)]
            ref = naive_mglu(x.double(), ws[0].double(), ms_[0])
            nv_err = rel_err(naive_mglu(x, ws[0], ms_[0]).float(), ref)
            nv_ms = median_ms(lambda i: naive_mglu(x, ws[i], ms_[i]), sets, max(10, a.runs // 2), 3)
            del ws, ms_
            nv_g = nm * (wbytes + d * h) / (nv_ms * 1e-3) / 1e9
            print(f"{f'{h}x{d}':<12} {nm:>3} {B:>3} {nv_ms:>10.4f} {sw_ms:>10.4f} {nv_g:>10.1f} {100*nv_g/ceil:>6.1f} "
                  f"{sw_g:>11.1f} {100*sw_g/ceil:>6.1f} {max(nv_err, sw_err):>9.2e}")
            rows.append(("naive_mglu", nm, B, nv_ms, nv_g, nv_err))
            rows.append(("swiglu", nm, B, sw_ms, sw_g, sw_err))
            torch.cuda.empty_cache()
    if a.csv:
        with open(a.csv, "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow("device,dtype,h,d,nm,batch,kernel,ms,gbytes_per_s,pct_of_ceiling,max_rel_err".split(","))
            wr.writerow(["pytorch", "fp16", h, d, 0, 0, "ceiling", 0, f"{ceil:.1f}", "100.0", 0])
            for k, nm, B, ms, g, e in rows:
                wr.writerow(["pytorch", "fp16", h, d, nm, B, k, f"{ms:.5f}", f"{g:.1f}", f"{100*g/ceil:.1f}", f"{e:.3e}"])
    if a.compare:
        flash = {}
        with open(a.compare) as f:
            for r in csv.DictReader(f):
                if r["kernel"] == "flashmglu":
                    flash[(int(r["nm"]), int(r["batch"]))] = (float(r["ms"]), float(r["pct_of_ceiling"]))
        print("\nside by side (same machine, same run): OpenCL FlashMGLU vs PyTorch")
        print(f"{'nm':>3} {'B':>3} {'flash ms':>10} {'flash %copy':>11} {'torch swiglu ms':>15} {'x vs swiglu':>11} {'torch naive ms':>14} {'x vs naive':>10}")
        for k, nm, B, ms, g, e in rows:
            if k != "naive_mglu" or (nm, B) not in flash:
                continue
            sw = next(r[3] for r in rows if r[0] == "swiglu" and r[1] == nm and r[2] == B)
            fm, pct = flash[(nm, B)]
            print(f"{nm:>3} {B:>3} {fm:>10.4f} {pct:>11.1f} {sw:>15.4f} {sw/fm:>11.2f} {ms:>14.4f} {ms/fm:>10.1f}")


if __name__ == "__main__":
    main()
