// tools/kafka/QuorumLeader.java — prints the node id of a KRaft cluster's
// active controller (the metadata quorum's leader), as Kafka's
// kafka-metadata-quorum tool reports it, through the admin client's
// describeMetadataQuorum (KIP-836). Run by `tools/kafka.sh controller DIR`
// as a single-file source program (java -cp 'LIBS/*' QuorumLeader.java
// BOOTSTRAP): Kafka's own tool lives in the kafka-tools jar, which the
// broker's runtime dependencies do not include.
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.QuorumInfo;

public class QuorumLeader {
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: QuorumLeader BOOTSTRAP");
            System.exit(2);
        }
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
        try (Admin admin = Admin.create(p)) {
            QuorumInfo q = admin.describeMetadataQuorum().quorumInfo()
                    .get(30, TimeUnit.SECONDS);
            System.out.println(q.leaderId());
        }
    }
}
