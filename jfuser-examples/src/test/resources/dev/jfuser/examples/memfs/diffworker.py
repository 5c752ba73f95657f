# Applies file system operations to two directory trees in lockstep and reports both outcomes.
# Protocol: one tab-separated command per stdin line; one line back, "<result A>\x1f<result B>".
# Results are Python reprs (no raw newlines) or "E<ERRNO NAME>". Used by MemFsDifferentialTest.
import ctypes, errno, hashlib, os, random, shutil, stat, sys

libc = ctypes.CDLL(None, use_errno=True)
os.umask(0o022)
roots = sys.argv[1:3]
base = [None, None]
# inodes that were copy_file_range destinations: memfs keeps holes there, tmpfs writes zeros, so SEEK differs
copied = [set(), set()]


def check(r):
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


def payload(seed, n):
    return random.Random(int(seed)).randbytes(int(n))



def op(side, name, a):
    r = base[side]
    p = lambda x: os.path.join(r, x)
    if name == 'create':
        os.close(os.open(p(a[0]), os.O_CREAT | os.O_WRONLY | os.O_NONBLOCK | (os.O_EXCL if a[2] == '1' else 0), int(a[1], 8)))
        return 'ok'
    if name == 'write':
        fd = os.open(p(a[0]), os.O_WRONLY | os.O_NONBLOCK)
        try:
            return os.pwrite(fd, payload(a[3], a[2]), int(a[1]))
        finally:
            os.close(fd)
    if name == 'append':
        fd = os.open(p(a[0]), os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK)
        try:
            return os.write(fd, payload(a[2], a[1]))
        finally:
            os.close(fd)
    if name == 'read':
        fd = os.open(p(a[0]), os.O_RDONLY | os.O_NONBLOCK)
        try:
            b = os.pread(fd, int(a[2]), int(a[1]))
            return (len(b), hashlib.sha1(b).hexdigest()[:12])
        finally:
            os.close(fd)
    if name == 'truncate':
        os.truncate(p(a[0]), int(a[1]))
        return 'ok'
    if name == 'stat':
        s = os.lstat(p(a[0]))
        return (stat.S_IFMT(s.st_mode), oct(stat.S_IMODE(s.st_mode)), s.st_size, s.st_nlink)
    if name == 'mkdir':
        os.mkdir(p(a[0]), int(a[1], 8))
        return 'ok'
    if name == 'rmdir':
        os.rmdir(p(a[0]))
        return 'ok'
    if name == 'unlink':
        os.unlink(p(a[0]))
        return 'ok'
    if name == 'rename':
        check(libc.renameat2(-100, p(a[0]).encode(), -100, p(a[1]).encode(), ctypes.c_uint(int(a[2]))))
        return 'ok'
    if name == 'link':
        os.link(p(a[0]), p(a[1]), follow_symlinks=False)
        return 'ok'
    if name == 'symlink':
        os.symlink(a[0], p(a[1]))
        return 'ok'
    if name == 'readlink':
        return os.readlink(p(a[0]))
    if name == 'chmod':
        os.chmod(p(a[0]), int(a[1], 8), follow_symlinks=True)
        return 'ok'
    if name == 'setxattr':
        os.setxattr(p(a[0]), a[1], payload(a[3], a[2]), int(a[4]))
        return 'ok'
    if name == 'getxattr':
        return hashlib.sha1(os.getxattr(p(a[0]), a[1])).hexdigest()[:12]
    if name == 'listxattr':
        return sorted(os.listxattr(p(a[0])))
    if name == 'removexattr':
        os.removexattr(p(a[0]), a[1])
        return 'ok'
    if name == 'fallocate':
        fd = os.open(p(a[0]), os.O_RDWR | os.O_NONBLOCK)
        try:
            check(libc.fallocate(fd, int(a[1]), ctypes.c_long(int(a[2])), ctypes.c_long(int(a[3]))))
            return os.fstat(fd).st_size
        finally:
            os.close(fd)
    if name == 'seek':
        fd = os.open(p(a[0]), os.O_RDONLY | os.O_NONBLOCK)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return 'not a file'  # directories seek in the kernel (FUSE and tmpfs differ there, not memfs)
            if st.st_ino in copied[side]:
                return 'n/a'
            return os.lseek(fd, int(a[1]), int(a[2]))
        finally:
            os.close(fd)
    if name == 'readdir':
        return sorted(os.listdir(p(a[0])))
    if name == 'cfr':
        src = os.open(p(a[0]), os.O_RDONLY | os.O_NONBLOCK)
        try:
            dst = os.open(p(a[1]), os.O_WRONLY | os.O_NONBLOCK)
            try:
                n = os.copy_file_range(src, dst, int(a[4]), int(a[2]), int(a[3]))
                copied[side].add(os.fstat(dst).st_ino)
                return n
            finally:
                os.close(dst)
        finally:
            os.close(src)
    if name == 'mkfifo':
        os.mkfifo(p(a[0]), int(a[1], 8))
        return 'ok'
    raise ValueError('unknown op ' + name)


def apply(side, name, a):
    try:
        return repr(op(side, name, a))
    except OSError as e:
        return '!' + errno.errorcode.get(e.errno, str(e.errno))


def snapshot(r):
    # Iterative (long runs build directory chains deeper than Python's recursion limit), and an entry that
    # cannot be examined becomes a line with its errno, so a broken tree shows up as a difference, not a crash.
    lines = []
    todo = [r]
    while todo:
        d = todo.pop()
        try:
            names = sorted(os.listdir(d))
        except OSError as e:
            lines.append('%s listdir !%s' % (os.path.relpath(d, r), errno.errorcode.get(e.errno, e.errno)))
            continue
        for n in names:
            full = os.path.join(d, n)
            rel = os.path.relpath(full, r)
            try:
                s = os.lstat(full)
                t = stat.S_IFMT(s.st_mode)
                line = '%s %o %o size=%d nlink=%d' % (rel, t, stat.S_IMODE(s.st_mode), s.st_size, s.st_nlink)
                if stat.S_ISREG(s.st_mode):
                    with open(full, 'rb') as f:
                        line += ' sha1=' + hashlib.sha1(f.read()).hexdigest()[:12]
                if stat.S_ISLNK(s.st_mode):
                    line += ' -> ' + os.readlink(full)
                if stat.S_ISREG(s.st_mode) or stat.S_ISDIR(s.st_mode):
                    for x in sorted(os.listxattr(full, follow_symlinks=False)):
                        v = os.getxattr(full, x, follow_symlinks=False)
                        line += ' %s=%s' % (x, hashlib.sha1(v).hexdigest()[:8])
                if stat.S_ISDIR(s.st_mode):
                    todo.append(full)
            except OSError as e:
                line = '%s !%s' % (rel, errno.errorcode.get(e.errno, e.errno))
            lines.append(line)
    top = os.lstat(r)
    lines.append('. nlink=%d size=%d' % (top.st_nlink, top.st_size))
    lines.sort()
    return '\x1e'.join(lines)


for line in sys.stdin:
    parts = line.rstrip('\n').split('\t')
    name, args = parts[0], parts[1:]
    if name == 'reset':
        for i in (0, 1):
            if base[i] is not None:
                shutil.rmtree(base[i], ignore_errors=True)
            base[i] = os.path.join(roots[i], args[0])
            os.mkdir(base[i])
            copied[i].clear()
        print('ok\x1fok', flush=True)
    elif name == 'snapshot':
        print(snapshot(base[0]) + '\x1f' + snapshot(base[1]), flush=True)
    else:
        print(apply(0, name, args) + '\x1f' + apply(1, name, args), flush=True)
