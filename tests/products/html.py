"""Helpers of the products page tests: a small HTML tree (``parse``) and ``login``."""

from html.parser import HTMLParser

from django.test import Client


class Node:
    """An element of a parsed page: ``tag``, ``attrs``, ``children``, ``text``."""

    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children, self.items = [], []  # items: text and child nodes in order

    @property
    def text(self) -> str:
        parts = [i if isinstance(i, str) else i.text for i in self.items]
        return " ".join(" ".join(parts).split())

    def find(self, pred):
        for child in self.children:
            if pred(child):
                return child
            found = child.find(pred)
            if found is not None:
                return found
        return None

    def by_id(self, ident):
        return self.find(lambda n: n.attrs.get("id") == ident)


class Tree(HTMLParser):
    VOID = {"meta", "link", "img", "input", "br", "hr", "source"}

    def __init__(self):
        super().__init__()
        self.root = self.node = Node("root", {})

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.node)
        self.node.children.append(node)
        self.node.items.append(node)
        if tag not in self.VOID:
            self.node = node

    def handle_endtag(self, tag):
        node = self.node
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.node = node.parent

    def handle_data(self, data):
        self.node.items.append(data)


def parse(response) -> Node:
    tree = Tree()
    tree.feed(response.content.decode())
    return tree.root


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
