package org.meshcatalog.opensearch;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * A single-node OpenSearch 2.19 server for Mesh Catalog's tests and benchmarks.
 *
 * <p>Usage: {@code java -cp 'target/classes:target/lib/*' org.meshcatalog.opensearch.Launcher
 * <http port> <data dir> [heap is set by the caller with -Xmx]}. Binds 127.0.0.1 only
 * (HTTP on the given port, transport on a free port), single-node discovery, no security
 * plugin, the transport-netty4 and analysis-common modules loaded from the classpath. Prints
 * {@code OPENSEARCH READY http://127.0.0.1:<port>} on stdout once the node has started; stops
 * cleanly on SIGTERM or when stdin is closed. Exits 2 on bad arguments, 1 when the node
 * cannot start.
 */
public final class Launcher {

    /** A Node with classpath plugins (the protected constructor MockNode also uses). */
    static final class PluginNode extends Node {
        PluginNode(Environment env, List<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: Launcher <http port> <data dir>");
            System.exit(2);
        }
        int port;
        try {
            port = Integer.parseInt(args[0]);
        } catch (NumberFormatException e) {
            System.err.println("Launcher: http port must be a number, got '" + args[0] + "'");
            System.exit(2);
            return;
        }
        Path home = Path.of(args[1]).toAbsolutePath();
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));
        Files.createDirectories(home.resolve("config"));
        int transportPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            transportPort = s.getLocalPort();
        }
        Settings settings = Settings.builder()
            .put("cluster.name", "mesh-test")
            .put("node.name", "mesh-test")
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", Integer.toString(port))
            .put("transport.port", Integer.toString(transportPort))
            .put("http.type", "netty4")
            .put("transport.type", "netty4")
            .put("discovery.type", "single-node")
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.destructive_requires_name", false)
            .put("indices.query.bool.max_clause_count", 4096)
            .build();
        LogConfigurator.registerErrorListener();
        LogConfigurator.configureWithoutConfig(settings);
        Environment env = InternalSettingsPreparer.prepareEnvironment(
            settings, Map.of(), home.resolve("config"), () -> "mesh-test");
        Node node = new PluginNode(env, List.of(Netty4Plugin.class, CommonAnalysisPlugin.class));
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean closing = new AtomicBoolean(false);
        Runnable stop = () -> {
            if (closing.compareAndSet(false, true)) {
                try {
                    node.close();
                } catch (IOException e) {
                    System.err.println("Launcher: error while stopping: " + e);
                }
                stopped.countDown();
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "mesh-opensearch-shutdown"));
        try {
            node.start();
        } catch (Exception e) {
            System.err.println("Launcher: OpenSearch did not start: " + e);
            e.printStackTrace();
            System.exit(1);
        }
        System.out.println("OPENSEARCH READY http://127.0.0.1:" + port);
        System.out.flush();
        Thread stdinWatcher = new Thread(() -> {
            try {
                InputStream in = System.in;
                byte[] buf = new byte[256];
                while (in.read(buf) >= 0) {
                    // keep reading until the parent closes our stdin
                }
            } catch (IOException ignored) {
                // stdin gone: stop like on EOF
            }
            System.exit(0); // runs the shutdown hook
        }, "mesh-opensearch-stdin");
        stdinWatcher.setDaemon(true);
        stdinWatcher.start();
        stopped.await();
    }
}
