// One real OpenSearch node in this JVM, built from the Maven artifacts that
// bench/opensearch/pom.xml names (no distribution, no mock): the server's Node,
// with the Netty transport and the common analysis plugin given as classpath
// plugins, the way in-JVM test clusters start nodes.
//
// bench/opensearch_cluster.py compiles this file at first use and starts one
// JVM per node:
//
//   java -cp CACHE/classes:CACHE/lib/* NewsNode key=value ...
//
// Each argument is a node setting (cluster.name=..., node.name=...,
// http.port=9200, transport.port=9300, path.home=..., path.data=...,
// discovery.type=single-node or discovery.seed_hosts=... and
// cluster.initial_cluster_manager_nodes=...). Network is pinned to loopback.
//
// The node stops on SIGTERM/SIGINT (a shutdown hook closes it) and, so that no
// JVM outlives the process that started it, when its standard input reaches
// end of file (the launcher holds a pipe to it; if the launcher dies, even by
// SIGKILL, the pipe closes and the node stops). That watch is on with
// -Dnewsnode.watchStdin=true, which the launcher always passes.

import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

public final class NewsNode extends Node {

    /** The plugins a newssearch node runs with, loaded from the classpath. */
    static final List<Class<? extends Plugin>> PLUGINS =
        List.of(Netty4Plugin.class, CommonAnalysisPlugin.class);

    NewsNode(Environment environment) {
        super(environment, PLUGINS, true);
    }

    static Settings settingsFrom(String[] args) {
        Settings.Builder builder = Settings.builder()
            .put("network.host", "127.0.0.1")       // loopback only, always
            .put("http.type", "netty4")
            .put("transport.type", "netty4")
            .put("node.attr.newssearch", "true")
            .put("logger.level", "INFO")               // the node's log: as a distribution's, to stdout
            // a test machine: don't stop indexing because the shared disk is full-ish
            .put("cluster.routing.allocation.disk.threshold_enabled", false);
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value, got: " + arg);
            }
            builder.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        builder.put("network.host", "127.0.0.1");
        return builder.build();
    }

    public static void main(String[] args) throws Exception {
        Settings settings = settingsFrom(args);
        String nodeName = settings.get("node.name", "newssearch-node");
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName(nodeName);
        LogConfigurator.configureWithoutConfig(settings);
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
            settings, Collections.emptyMap(), null, () -> nodeName);

        Node node = new NewsNode(environment);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (IOException | InterruptedException e) {
                System.err.println("newsnode: error while closing: " + e);
            } finally {
                closed.countDown();
            }
        }, "newsnode-shutdown"));
        node.start();
        System.out.println("newsnode: started " + nodeName);
        System.out.flush();

        if (Boolean.getBoolean("newsnode.watchStdin")) {
            watchStdin(nodeName);
        }
        closed.await();
    }

    /** Stop the JVM when standard input reaches end of file (the launcher is gone). */
    static void watchStdin(String nodeName) {
        Thread watch = new Thread(() -> {
            InputStream in = System.in;
            byte[] buffer = new byte[256];
            try {
                while (in.read(buffer) >= 0) {
                    // the launcher writes nothing; anything read is ignored
                }
            } catch (IOException ignored) {
                // a broken pipe is the same as end of file
            }
            System.err.println("newsnode: standard input closed, stopping " + nodeName);
            System.exit(0);  // runs the shutdown hook
        }, "newsnode-stdin-watch");
        watch.setDaemon(true);
        watch.start();
    }
}
