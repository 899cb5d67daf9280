// The real Quartz scheduler (org.quartz.CronExpression 2.3.2, Debian's libquartz2-java) answering, one line per request:
//   <id> TAB <expression> TAB <time zone id> TAB <after, epoch seconds> TAB <count>
// with one line each:
//   <id> TAB OK TAB <the next <count> fires in epoch seconds, comma-separated; fewer when it stops firing>
//   <id> TAB INVALID TAB <Quartz's message>
//   <id> TAB CRASH TAB <the exception>   (Quartz accepted the expression and failed evaluating it)
//   <id> TAB HANG TAB    (Quartz did not answer within the time limit: some expressions it accepts loop forever)
// Each fire is getTimeAfter(the one before), as Quartz's CronTrigger chains them.
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.TimeZone;
import org.quartz.CronExpression;

public final class RealQuartz {
    // Quartz answers in well under a millisecond; the slowest of the corpus took 10 ms, early, before the JIT had
    // compiled it. Its endless loops are met at once. Each expression that loops costs the limit once.
    private static final long LIMIT_MILLIS = 200;
    private static final java.util.Set<String> HANGING = new java.util.HashSet<>();  // answered HANG once

    private static String answer(String[] request) {
        CronExpression cron;
        try {
            cron = new CronExpression(request[1]);
        } catch (Exception | Error e) {  // a ParseException, or the parser's own crash on odd input
            return "INVALID\t" + String.valueOf(e.getMessage()).replace('\t', ' ').replace('\n', ' ');
        }
        cron.setTimeZone(TimeZone.getTimeZone(request[2]));
        Date after = new Date(Long.parseLong(request[3]) * 1000L);
        int count = Integer.parseInt(request[4]);
        StringBuilder fires = new StringBuilder("OK\t");
        for (int i = 0; i < count; i++) {
            try {
                after = cron.getTimeAfter(after);
            } catch (RuntimeException e) {  // it accepted the expression, then cannot evaluate it
                return "CRASH\t" + e;
            }
            if (after == null) {
                break;
            }
            fires.append(i == 0 ? "" : ",").append(after.getTime() / 1000L);
        }
        return fires.toString();
    }

    @SuppressWarnings({"deprecation", "removal"})
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        answer(new String[] {"warm-up", "0 0/15 * ? * MON-FRI", "UTC", "0", "100"});  // load the classes first
        String line;
        while ((line = in.readLine()) != null) {
            String[] request = line.split("\t", -1);
            if (HANGING.contains(request[1])) {
                out.write(request[0] + "\tHANG\t\n");
                continue;
            }
            String[] result = {null};
            Thread worker = new Thread(() -> result[0] = answer(request));
            worker.setDaemon(true);
            worker.start();
            worker.join(LIMIT_MILLIS);
            String reply = worker.isAlive() ? "HANG\t" : result[0];
            if (worker.isAlive()) {
                HANGING.add(request[1]);
                worker.stop();  // the only way to end Quartz's endless loops; Java 17 still allows it
            }
            out.write(request[0] + "\t" + reply + "\n");
        }
        out.flush();
    }
}
