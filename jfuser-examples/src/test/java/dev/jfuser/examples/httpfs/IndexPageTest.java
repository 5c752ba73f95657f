package dev.jfuser.examples.httpfs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jfuser.Names;
import dev.jfuser.examples.httpfs.IndexPage.Link;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Listing pages as the two servers write them, and names to URLs and back. */
class IndexPageTest {
    @TempDir
    Path dir;

    /** A page as SimpleFileServer writes it: a list, hrefs URI-quoted but '&' and '+' raw, texts HTML-escaped. */
    private static final String SIMPLE_FILE_SERVER = """
            <!DOCTYPE html>
            <html>
            <head>
            <meta charset="utf-8"/>
            </head>
            <body>
            <h1>Directory listing for &#x2F;d&#x2F;</h1>
            <ul>
            <li><a href="sub%20dir/">sub dir&#x2F;</a></li>
            <li><a href="a&b%20+%20c.txt">a&amp;b + c.txt</a></li>
            <li><a href="%C3%A4+&amp;.txt">ä+&amp;amp;.txt</a></li>
            <li><a href="q%3F%23%25%22%3C'x.txt">q?#%&quot;&lt;&#x27;x.txt</a></li>
            <li><a href="empty">empty</a></li>
            </ul>
            </body>
            </html>
            """;

    /** The same directory as nginx autoindex writes it: a parent link, hrefs fully escaped, long texts cut. */
    private static final String NGINX = """
            <html>
            <head><title>Index of /d/</title></head>
            <body>
            <h1>Index of /d/</h1><hr><pre><a href="../">../</a>
            <a href="sub%20dir/">sub dir/</a>                                           24-Nov-2026 14:06       -
            <a href="a%26b%20%2B%20c.txt">a&amp;b + c.txt</a>                          24-Nov-2026 14:06       0
            <a href="%C3%A4%2B%26amp%3B.txt">ä+&amp;amp;.txt</a>                       24-Nov-2026 14:06       1
            <a href="q%3F%23%25%22%3C%27x.txt">q?#%&quot;&lt;'x.txt</a>                  24-Nov-2026 14:06       0
            <a href="empty">empty</a>                                              24-Nov-2026 14:06       0
            </pre><hr></body>
            </html>
            """;

    private static final List<Link> EXPECTED = List.of(new Link("sub dir", true), new Link("a&b + c.txt", false),
            new Link("ä+&amp;.txt", false), new Link("q?#%\"<'x.txt", false), new Link("empty", false));

    @Test
    void simpleFileServerPage() {
        assertEquals(EXPECTED, IndexPage.parse(SIMPLE_FILE_SERVER));
    }

    @Test
    void nginxPage() {
        assertEquals(EXPECTED, IndexPage.parse(NGINX));
    }

    @Test
    void navigationAndForeignLinksAreNotEntries() {
        String page = """
                <a href="../">up</a> <a href="/abs">abs</a> <a href="?C=N;O=D">sort</a> <a href="#top">top</a>
                <a href="http://example.org/x">away</a> <a href="mailto:x@y">mail</a> <a href="a/b">deep</a>
                <a HREF='single'>single</a> <a class="x" href="./dot">dot</a> <a href="./">self</a>
                <a href="%2e%2e/">encoded parent</a> <a href="bad%zz">bad escape</a>
                """;
        assertEquals(List.of(new Link("single", false), new Link("dot", false)), IndexPage.parse(page));
    }

    /** A server's name that is not UTF-8 (%FF, Latin-1 %E9) is those bytes to the kernel, and the same URL back. */
    @Test
    void hrefsThatAreNotUtf8KeepTheirBytes() {
        String page = "<a href=\"caf%E9.txt\">x</a> <a href=\"%FF%FE/\">y</a> <a href=\"%C3%A9%C3\">z</a>";
        List<Link> links = IndexPage.parse(page);
        assertEquals(List.of(new Link(Names.fromBytes(new byte[] {'c', 'a', 'f', (byte) 0xe9, '.', 't', 'x', 't'}),
                false), new Link(Names.fromBytes(new byte[] {(byte) 0xff, (byte) 0xfe}), true),
                new Link(Names.fromBytes(new byte[] {(byte) 0xc3, (byte) 0xa9, (byte) 0xc3}), false)), links);
        assertEquals(List.of("caf%E9.txt", "%FF%FE", "%C3%A9%C3"),
                links.stream().map(l -> IndexPage.encodeSegment(l.name())).toList());
    }

    @Test
    void encodedNamesDecodeToThemselves() {
        Random random = new Random(7);
        for (int i = 0; i < 2000; i++) {
            StringBuilder name = new StringBuilder();
            int length = 1 + random.nextInt(12);
            while (name.length() < length) {
                int cp = random.nextInt(4) == 0 ? 0x20 + random.nextInt(0x60) : 0x20 + random.nextInt(0x3000);
                if (cp != '/' && Character.isDefined(cp) && !Character.isSurrogate((char) cp)) {
                    name.appendCodePoint(cp);
                }
            }
            String n = name.toString();
            if (n.equals(".") || n.equals("..")) {
                continue;
            }
            String href = IndexPage.encodeSegment(n);
            assertEquals(List.of(new Link(n, false)), IndexPage.parse("<a href=\"" + href + "\">x</a>"), href);
        }
    }

    @Test
    void realSimpleFileServerListingMatchesTheDirectory() throws Exception {
        Path root = Files.createDirectory(dir.resolve("root"));
        HttpServers.writeTree(root);
        try (HttpServers.Server server = HttpServers.simpleFileServer(root);
             HttpClient client = HttpClient.newHttpClient()) {
            for (Path d : List.of(root, root.resolve("ünïcödé ✓"), root.resolve("sub dir"))) {
                String rel = root.relativize(d).toString();
                URI uri = server.base().resolve(rel.isEmpty() ? "" : IndexPage.encodeSegment(rel) + "/");
                String page = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                        .body();
                Set<String> parsed = IndexPage.parse(page).stream()
                        .map(l -> l.name() + (l.directory() ? "/" : "")).collect(Collectors.toCollection(TreeSet::new));
                try (Stream<Path> entries = Files.list(d)) {
                    Set<String> actual = entries.map(p -> p.getFileName() + (Files.isDirectory(p) ? "/" : ""))
                            .collect(Collectors.toCollection(TreeSet::new));
                    assertEquals(actual, parsed, page);
                }
            }
        }
    }
}
