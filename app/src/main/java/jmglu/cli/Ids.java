package jmglu.cli;

/** Comma-separated token ids from the command line, checked against a vocabulary. */
final class Ids {
    private Ids() {}

    /** At most this many ids on one command line. */
    static final int MAX = 1 << 20;

    static int[] parse(String s, int vocab, String flag) {
        String[] parts = s.trim().isEmpty() ? new String[0] : s.split(",", -1);
        if (parts.length == 0) throw new IllegalArgumentException(flag + ": no ids given (expected e.g. 1,2,3)");
        if (parts.length > MAX) throw new IllegalArgumentException(flag + ": " + parts.length + " ids; at most " + MAX);
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + ": '" + parts[i].trim() + "' is not a token id (expected comma-separated integers)");
            }
            if (ids[i] < 0 || ids[i] >= vocab) throw new IllegalArgumentException(flag + ": id " + ids[i] + " is outside the vocabulary of " + vocab);
        }
        return ids;
    }
}
