package dev.jfuser;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class MountOptionsPropertiesTest {

    /** Names with the characters the escaping must survive: comma, backslash, '=', space, non-ASCII. */
    private static Arbitrary<String> names() {
        return Arbitraries.strings().withChars("ab,\\= é").ofMinLength(1).ofMaxLength(12);
    }

    private enum Access { OWNER, OTHER, ROOT }

    @Provide
    Arbitrary<MountOptions> options() {
        Arbitrary<Boolean> bool = Arbitraries.of(true, false);
        return Builders.withBuilder(MountOptions::builder)
                .use(names()).in(MountOptions.Builder::fsname)
                .use(Arbitraries.oneOf(names(), Arbitraries.just(""))).withProbability(0.5)
                .in(MountOptions.Builder::subtype)
                .use(Arbitraries.of(Access.class)).in((b, a) -> b.allowOther(a == Access.OTHER)
                        .allowRoot(a == Access.ROOT))
                .use(bool).in(MountOptions.Builder::defaultPermissions)
                .use(bool).in(MountOptions.Builder::readOnly)
                .use(bool).in(MountOptions.Builder::suid)
                .use(bool).in(MountOptions.Builder::dev)
                .use(bool).in(MountOptions.Builder::exec)
                .use(Arbitraries.of(MountOptions.Atime.class)).in(MountOptions.Builder::atime)
                .use(bool).in(MountOptions.Builder::noDirAtime)
                .use(bool).in(MountOptions.Builder::lazyTime)
                .use(bool).in(MountOptions.Builder::sync)
                .use(bool).in(MountOptions.Builder::dirSync)
                .use(bool).in(MountOptions.Builder::autoUnmount)
                .use(Arbitraries.integers().between(0, 1 << 20)).in(MountOptions.Builder::maxRead)
                .use(Arbitraries.of(0, 512, 1024, 4096)).in(MountOptions.Builder::blksize)
                .use(Arbitraries.strings().withChars("xyz_.-").ofMinLength(1).ofMaxLength(6)
                        .flatMap(name -> Arbitraries.of(name, name + "=v", name + "=a:b")))
                .withProbability(0.3).in((b, custom) -> b.option("custom" + custom))
                .build(MountOptions.Builder::build);
    }

    @Property
    void parsingTheRenderingGivesTheSameOptions(@ForAll("options") MountOptions options) {
        String rendered = options.toString();
        MountOptions parsed = MountOptions.parse(rendered);
        assertEquals(options, parsed);
        assertEquals(rendered, parsed.toString(), "rendering is stable");
    }

    @Property
    void fsnameAndSubtypeSurviveEscaping(@ForAll("names") String name) {
        MountOptions o = MountOptions.builder().fsname(name).subtype(name).build();
        MountOptions parsed = MountOptions.parse(o.toString());
        assertEquals(name, parsed.fsname());
        assertEquals(name, parsed.subtype().orElseThrow());
    }

    @Provide("names")
    Arbitrary<String> namesProvider() {
        return names();
    }
}
