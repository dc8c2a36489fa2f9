#!/bin/bash
# SwiGLU -> MGLU on the trained HF fixture: val loss before/after fine-tuning, SwiGLU fine-tuned the same as the control
cd /work/main
H=model/src/test/resources/hf/models/trained-llama3tok
D=/tmp/mi/corpus.txt
E=(--data $D --batch 16 --seq-len 128 --eval-batches 16 --quiet)
./jmglu mglu-init --from $H --nm 4 --out /tmp/mi/mglu4 2>&1 | grep -v WARN
for m in swiglu:$H mglu4:/tmp/mi/mglu4; do n=${m%%:*}; src=${m#*:}
  echo "== $n before fine-tuning (1 step at lr 1e-9)"; ./jmglu train --init $src "${E[@]}" --steps 1 --lr 1e-9 --warmup 0 --out /tmp/mi/$n-0 --force 2>&1 | grep -E "val loss"
  echo "== $n fine-tuned 400 steps"; ./jmglu train --init $src "${E[@]}" --steps 400 --lr 1e-3 --eval-every 100 --out /tmp/mi/$n-ft --force 2>&1 | grep -E "val|step"
done
# control: the same MGLU shape from a fresh random initialisation, trained the same 400 steps
CP="app/target/lib/*:app/target/classes:lab/target/lab-0.1.0-SNAPSHOT.jar"
/usr/lib/jvm/temurin-25-jdk-amd64/bin/java --add-modules jdk.incubator.vector -cp "$CP" jmglu.lab.hf.FreshLike $H mglu:4 /tmp/mi/fresh4 2>&1 | grep -v WARN
echo "== fresh mglu4 trained 400 steps"; ./jmglu train --init /tmp/mi/fresh4 "${E[@]}" --steps 400 --lr 1e-3 --eval-every 100 --out /tmp/mi/fresh4-ft --force 2>&1 | grep -E "val|step"
