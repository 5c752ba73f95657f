package dev.jfuser.examples.httpfs;

import dev.jfuser.Names;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the HTML directory listings web servers generate for a directory URL ending in '/', and builds the URLs
 * of its entries.
 *
 * <p>Only the {@code <a href="...">} links matter, which keeps one parser good for the common servers:
 * <ul>
 *   <li>the JDK's {@code SimpleFileServer} / {@code jwebserver}: a {@code <ul>} of
 *       {@code <li><a href="name">name</a></li>}, hrefs percent-encoded except that '&amp;' and '+' are left as is
 *       (and '&amp;' not HTML-escaped in the attribute);</li>
 *   <li>nginx {@code autoindex on}: a {@code <pre>} of {@code <a href="name">name</a>  date  size} lines, with a
 *       {@code ../} link first; hrefs fully percent-encoded, link texts cut short for long names (so the href, not
 *       the text, is the name).</li>
 * </ul>
 * A link is an entry of this directory when its href is one relative path segment, optionally followed by '/'
 * (a subdirectory). Everything else is navigation or decoration and is skipped: parent links, absolute paths and
 * URLs, query strings (Apache's sort links {@code ?C=N;O=D}), fragments.
 *
 * <p>Names are the href with HTML character references resolved, then percent-decoded as UTF-8. A '+' stays a
 * '+' (it means a space only in query strings). SimpleFileServer does not escape '&amp;' in hrefs, so a file named
 * like an entity ({@code a&amp;amp;b}) is ambiguous there; the link text (escaped properly) settles it when the
 * href read raw matches it.
 */
public final class IndexPage {
    private static final Pattern LINK = Pattern.compile(
            "<a\\s[^>]*?href\\s*=\\s*(?:\"([^\"]*)\"|'([^']*)')[^>]*>(.*?)</a\\s*>",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    private static final Pattern TAG = Pattern.compile("<[^>]*>");
    private static final Pattern NON_HIERARCHICAL = Pattern.compile("(?i)(mailto|javascript|data|tel):");
    private static final Pattern REFERENCE = Pattern.compile("&(#[0-9]+|#[xX][0-9a-fA-F]+|amp|lt|gt|quot|apos);");

    private IndexPage() {}

    /** One entry of a directory listing. */
    public record Link(String name, boolean directory) {
    }

    /** The entries linked from a listing page, in page order, without duplicates. */
    public static List<Link> parse(String html) {
        Map<String, Link> out = new LinkedHashMap<>();
        Matcher m = LINK.matcher(html);
        while (m.find()) {
            String href = (m.group(1) != null ? m.group(1) : m.group(2)).strip();
            String text = unescapeHtml(TAG.matcher(m.group(3)).replaceAll("")).strip();
            Link link = entry(unescapeHtml(href));
            // SimpleFileServer leaves '&' raw in hrefs: if the href read without HTML unescaping is exactly the
            // link's text, that is the name (text alone is no guide: nginx shortens long names in it).
            Link raw = href.indexOf('&') >= 0 ? entry(href) : null;
            if (raw != null && (raw.name().equals(text) || (raw.name() + "/").equals(text))) {
                link = raw;
            }
            if (link != null) {
                out.putIfAbsent(link.name(), link);
            }
        }
        return new ArrayList<>(out.values());
    }

    /** The entry an href names, or null if it does not name one entry of this directory. */
    static Link entry(String href) {
        if (href.isEmpty() || href.startsWith("/") || href.contains("?") || href.contains("#")
                || href.contains("://") || NON_HIERARCHICAL.matcher(href).lookingAt()) {
            return null; // absolute path, query (sort links), fragment, or a link elsewhere
        }
        boolean directory = href.endsWith("/");
        String segment = directory ? href.substring(0, href.length() - 1) : href;
        if (segment.startsWith("./")) {
            segment = segment.substring(2);
        }
        if (segment.isEmpty() || segment.contains("/")) {
            return null;
        }
        String name;
        try {
            name = percentDecode(segment);
        } catch (IllegalArgumentException malformed) {
            return null;
        }
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.indexOf('\0') >= 0) {
            return null;
        }
        return new Link(name, directory);
    }

    /** Resolves the character references servers put in attribute values. */
    static String unescapeHtml(String s) {
        if (s.indexOf('&') < 0) {
            return s;
        }
        Matcher m = REFERENCE.matcher(s);
        StringBuilder out = new StringBuilder(s.length());
        while (m.find()) {
            String ref = m.group(1);
            String replacement = switch (ref) {
                case "amp" -> "&";
                case "lt" -> "<";
                case "gt" -> ">";
                case "quot" -> "\"";
                case "apos" -> "'";
                default -> {
                    int cp = ref.charAt(1) == 'x' || ref.charAt(1) == 'X'
                            ? Integer.parseInt(ref.substring(2), 16) : Integer.parseInt(ref.substring(1));
                    yield Character.isValidCodePoint(cp) ? Character.toString(cp) : m.group();
                }
            };
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * Decodes %XX escapes to the name those bytes are ({@link Names}: UTF-8, or escaped bytes where not), so a
     * server's name that is not UTF-8 reaches the kernel as its bytes; unlike {@code URLDecoder}, '+' is not a
     * space in a path.
     */
    static String percentDecode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); ) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    throw new IllegalArgumentException("truncated escape in '" + s + "'");
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new IllegalArgumentException("bad escape in '" + s + "'");
                }
                bytes.write(hi << 4 | lo);
                i += 3;
            } else {
                int cp = s.codePointAt(i);
                bytes.writeBytes(Character.toString(cp).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(cp);
            }
        }
        return Names.fromBytes(bytes.toByteArray());
    }

    /**
     * A name as one URL path segment: everything but RFC 3986's unreserved characters is percent-encoded as
     * the name's bytes ({@link Names#bytes}: UTF-8, and a byte that is not as itself), which every server decodes
     * the same way.
     */
    public static String encodeSegment(String name) {
        byte[] b = Names.bytes(name);
        StringBuilder out = new StringBuilder(b.length + 16);
        for (byte x : b) {
            int c = x & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
                    || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return out.toString();
    }
}
