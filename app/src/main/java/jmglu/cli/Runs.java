package jmglu.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import jmglu.engine.Backend;
import jmglu.model.Transformer;
import jmglu.model.data.Corpus;
import jmglu.model.data.Dataset;
import jmglu.model.data.Tokenizer;
import jmglu.model.train.Checkpoint;
import jmglu.model.train.History;
import jmglu.model.train.TrainOptions;
import jmglu.model.train.Trainer;

/** What train, demo and compare share: corpus → tokenizer → dataset, and a training run with progress and a summary. */
final class Runs {
    private Runs() {}

    /** Validation takes the last 10% of the tokens. */
    static final double VAL_FRACTION = 0.1;

    record Prepared(Corpus corpus, Tokenizer tok, Dataset data) {}

    static Prepared prepare(Path dataFile, String tokSpec, Tokenizer existing, PrintStream out) {
        Corpus c = Corpus.load(dataFile);
        long t0 = System.nanoTime();
        Tokenizer tok = existing != null ? existing : Tokenizer.create(tokSpec, c.text());
        int[] ids = tok.encode(c.text());
        out.printf("data: %s, %,d characters -> %,d tokens (tokenizer %s, %.1f s)%n", c.name(), c.text().length(), ids.length,
                tok.describe(), (System.nanoTime() - t0) * 1e-9);
        return new Prepared(c, tok, new Dataset(ids, VAL_FRACTION));
    }

    /** Trains (resuming if given) on backend with a progress bar; prints throughput and losses. */
    static Trainer train(Backend backend, Transformer model, Prepared p, TrainOptions o, Path out, Checkpoint.Loaded resume, boolean quiet, PrintStream log) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("corpus", p.corpus().name());
        Trainer t = new Trainer(backend, model, p.data(), o, p.tok(), out, meta);
        try {
            if (resume != null) {
                t.resume(resume);
                log.printf("resuming at step %d of %d from %s%n", t.optimizer().step(), o.steps(), resume.dir());
            }
            int start = t.optimizer().step();
            long t0 = System.nanoTime();
            try (Progress pr = new Progress(model.config.label(), start, o.steps(), quiet, log)) {
                t.run(o.steps(), pr);
            }
            double secs = (System.nanoTime() - t0) * 1e-9;
            History h = t.history();
            log.printf("trained %d steps (%,d tokens) in %.1f s: %,.0f tokens/s (training steps only), train loss %.4f (mean of the last 20 steps), val loss %.4f (perplexity %.2f) on %s%n",
                    o.steps() - start, (long) (o.steps() - start) * o.batch() * model.config.seqLen(), secs, t.tokensPerSec(),
                    h.recentTrain(20), h.lastVal(), Math.exp(h.lastVal()), backend.describe());
            return t;
        } finally {
            t.close();
        }
    }
}
