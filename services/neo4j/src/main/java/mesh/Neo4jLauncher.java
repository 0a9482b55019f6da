package mesh;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;

/**
 * A Neo4j Community server for tests and benchmarks: embedded Neo4j with its Bolt
 * connector on 127.0.0.1 only, authentication off.
 *
 * <p>Usage: {@code java -jar neo4j-launcher.jar <bolt port> <data dir> [page cache MiB]}.
 * Prints {@code NEO4J READY bolt://127.0.0.1:<port>} on stdout once the default
 * database accepts queries; shuts down cleanly on SIGTERM / SIGINT or when stdin is
 * closed (so a crashed parent never leaves it running). Exit code 2 on bad arguments,
 * 1 when the database does not start.
 */
public final class Neo4jLauncher {
    private Neo4jLauncher() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: neo4j-launcher <bolt port> <data dir> [page cache MiB]");
            System.exit(2);
        }
        int port;
        long pageCacheMiB;
        try {
            port = Integer.parseInt(args[0]);
            pageCacheMiB = args.length > 2 ? Long.parseLong(args[2]) : 256;
        } catch (NumberFormatException e) {
            System.err.println("neo4j-launcher: not a number: " + e.getMessage());
            System.exit(2);
            return;
        }
        Path dataDir = Path.of(args[1]).toAbsolutePath();

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(dataDir)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pageCacheMiB * 1024 * 1024)
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .build();
        AtomicBoolean stopped = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                dbms.shutdown();
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "neo4j-launcher-shutdown"));

        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        if (!db.isAvailable(TimeUnit.SECONDS.toMillis(120))) {
            System.err.println("neo4j-launcher: the default database did not become available");
            stop.run();
            System.exit(1);
        }
        System.out.println("NEO4J READY bolt://127.0.0.1:" + port);
        System.out.flush();

        // Block until the parent closes our stdin (or dies), then stop.
        while (System.in.read() != -1) {
            // discard input
        }
        stop.run();
        System.exit(0);
    }
}
