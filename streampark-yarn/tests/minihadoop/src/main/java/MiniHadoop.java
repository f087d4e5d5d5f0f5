// scripts/yarn-local's launcher: Hadoop's real HDFS (MiniDFSCluster: a NameNode with WebHDFS and
// a DataNode), ResourceManagers and NodeManagers, from the unshaded hadoop-minicluster artifacts, on
// loopback. One role per JVM: the YARN web apps register their servlets in a static Guice
// pipeline, so two of them in one JVM answer each other's requests.
//
//   java MiniHadoop dfs <state-dir>        NameNode + DataNode on the ports of conf/hdfs-site.xml
//   java MiniHadoop rm  <state-dir> <id>   ResourceManager <id> of conf/yarn-site.xml (HA)
//   java MiniHadoop nm  <state-dir> <n>    NodeManager number <n>
//
// Every role reads the client configuration directory <state-dir>/conf (written by the
// script), writes <state-dir>/<role>.json with its control endpoint once it is up, and serves on
// loopback: GET /status, POST /stop; the RMs also POST /active and POST /standby.

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CountDownLatch;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.ha.HAServiceProtocol;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.service.Service;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.nodemanager.NodeManager;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;

public final class MiniHadoop {
  private static final CountDownLatch STOP = new CountDownLatch(1);
  private static volatile Runnable shutdown = () -> { };

  public static void main(String[] args) throws Exception {
    String role = args[0];
    File dir = new File(args[1]).getAbsoluteFile();
    File conf = new File(dir, "conf");
    Configuration c = new YarnConfiguration();
    for (String f : new String[] {"core-site.xml", "hdfs-site.xml", "yarn-site.xml"}) {
      c.addResource(new Path(new File(conf, f).getPath()));
    }
    HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    String name;
    switch (role) {
      case "dfs":
        name = "dfs";
        startDfs(dir, c);
        http.createContext("/status", ex -> reply(ex, 200, "{\"role\":\"dfs\"}"));
        break;
      case "rm":
        name = "rm-" + args[2];
        ResourceManager rm = startRm(c, args[2]);
        http.createContext("/status", ex -> reply(ex, 200,
            "{\"role\":\"rm\",\"id\":\"" + args[2] + "\",\"ha_state\":\""
                + rm.getRMContext().getHAServiceState() + "\"}"));
        http.createContext("/active", ex -> transition(ex, rm, true));
        http.createContext("/standby", ex -> transition(ex, rm, false));
        break;
      case "nm":
        name = "nm-" + args[2];
        NodeManager nm = startNm(dir, c, args[2]);
        http.createContext("/status", ex -> reply(ex, 200,
            "{\"role\":\"nm\",\"state\":\"" + nm.getServiceState() + "\"}"));
        break;
      default:
        throw new IllegalArgumentException("unknown role " + role);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> shutdown.run()));
    http.createContext("/stop", ex -> {
      reply(ex, 200, "{\"stopping\":true}");
      STOP.countDown();
    });
    http.start();
    String details = "{\"control\":\"http://127.0.0.1:" + http.getAddress().getPort()
        + "\",\"pid\":" + ProcessHandle.current().pid() + "}\n";
    File tmp = new File(dir, name + ".json.tmp");
    Files.write(tmp.toPath(), details.getBytes(StandardCharsets.UTF_8));
    Files.move(tmp.toPath(), new File(dir, name + ".json").toPath(),
        StandardCopyOption.ATOMIC_MOVE);
    System.err.println("minihadoop: " + name + " ready " + details.trim());
    STOP.await();
    http.stop(0);
    shutdown.run();
    System.exit(0);
  }

  private static void startDfs(File dir, Configuration c) throws IOException {
    Configuration hc = new Configuration(c);
    String nn = hc.get("dfs.namenode.rpc-address");
    String web = hc.get("dfs.namenode.http-address");
    hc.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, new File(dir, "dfs").getPath());
    MiniDFSCluster dfs = new MiniDFSCluster.Builder(hc)
        .nameNodePort(Integer.parseInt(nn.substring(nn.lastIndexOf(':') + 1)))
        .nameNodeHttpPort(Integer.parseInt(web.substring(web.lastIndexOf(':') + 1)))
        .numDataNodes(1)
        .format(true)
        .build();
    dfs.waitActive();
    shutdown = once(dfs::shutdown);
  }

  private static ResourceManager startRm(Configuration c, String id) throws Exception {
    YarnConfiguration yc = new YarnConfiguration(c);
    yc.set(YarnConfiguration.RM_HA_ID, id);
    ResourceManager rm = new ResourceManager();
    rm.init(yc);
    rm.start();
    shutdown = once(rm::stop);
    return rm;
  }

  private static NodeManager startNm(File dir, Configuration c, String n) {
    YarnConfiguration yc = new YarnConfiguration(c);
    File base = new File(dir, "nm-" + n);
    yc.set(YarnConfiguration.NM_LOCAL_DIRS, new File(base, "local").getPath());
    yc.set(YarnConfiguration.NM_LOG_DIRS, new File(base, "logs").getPath());
    yc.set(YarnConfiguration.NM_ADDRESS, "localhost:0");
    yc.set(YarnConfiguration.NM_WEBAPP_ADDRESS, "localhost:0");
    yc.set(YarnConfiguration.NM_LOCALIZER_ADDRESS, "localhost:" + freePort());
    yc.set("yarn.nodemanager.collector-service.address", "localhost:" + freePort());
    NodeManager nm = new NodeManager();
    nm.init(yc);
    nm.start();
    if (nm.getServiceState() != Service.STATE.STARTED) {
      throw new IllegalStateException("NodeManager did not start: " + nm.getFailureCause());
    }
    shutdown = once(nm::stop);
    return nm;
  }

  private static int freePort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Runnable once(Runnable r) {
    return new Runnable() {
      private boolean done;

      @Override
      public synchronized void run() {
        if (!done) {
          done = true;
          try {
            r.run();
          } catch (RuntimeException e) {
            System.err.println("minihadoop: stop: " + e);
          }
        }
      }
    };
  }

  private static void transition(HttpExchange ex, ResourceManager rm, boolean active)
      throws IOException {
    HAServiceProtocol.StateChangeRequestInfo req = new HAServiceProtocol.StateChangeRequestInfo(
        HAServiceProtocol.RequestSource.REQUEST_BY_USER_FORCED);
    try {
      if (active) {
        rm.getRMContext().getRMAdminService().transitionToActive(req);
      } else {
        rm.getRMContext().getRMAdminService().transitionToStandby(req);
      }
      reply(ex, 200, "{\"ha_state\":\"" + rm.getRMContext().getHAServiceState() + "\"}");
    } catch (Exception e) {
      reply(ex, 500, "{\"error\":\"" + e.toString().replace("\"", "'") + "\"}");
    }
  }

  private static void reply(HttpExchange ex, int code, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(code, bytes.length);
    try (OutputStream o = ex.getResponseBody()) {
      o.write(bytes);
    }
  }
}
