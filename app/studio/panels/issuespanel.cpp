#include "panels/issuespanel.hpp"

#include <QApplication>
#include <QHeaderView>
#include <QStyle>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace glasswing::studio {
namespace {

enum IssueColumn { SeverityColumn, SourceColumn, MessageColumn };
constexpr int kSeverityRole = Qt::UserRole + 1;

QIcon severityIcon(Severity severity) {
  QStyle* style = QApplication::style();
  switch (severity) {
    case Severity::Error: return style->standardIcon(QStyle::SP_MessageBoxCritical);
    case Severity::Warning: return style->standardIcon(QStyle::SP_MessageBoxWarning);
    case Severity::Info: return style->standardIcon(QStyle::SP_MessageBoxInformation);
  }
  return {};
}

QString severityName(Severity severity) {
  switch (severity) {
    case Severity::Error: return IssuesPanel::tr("Error");
    case Severity::Warning: return IssuesPanel::tr("Warning");
    case Severity::Info: return IssuesPanel::tr("Info");
  }
  return {};
}

}  // namespace

IssuesPanel::IssuesPanel(QWidget* parent) : QWidget(parent), m_list(new QTreeWidget(this)) {
  m_list->setColumnCount(3);
  m_list->setHeaderLabels({tr("Severity"), tr("Source"), tr("Message")});
  m_list->setRootIsDecorated(false);
  m_list->setAlternatingRowColors(true);
  m_list->setWordWrap(true);
  m_list->setUniformRowHeights(false);
  m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
  m_list->header()->setStretchLastSection(true);
  m_list->header()->resizeSection(SeverityColumn, 110);
  m_list->header()->resizeSection(SourceColumn, 160);
  m_list->setAccessibleName(tr("Issues"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_list);
}

void IssuesPanel::addIssue(Severity severity, const QString& source, const QString& message) {
  auto* item = new QTreeWidgetItem(m_list);
  item->setIcon(SeverityColumn, severityIcon(severity));
  item->setText(SeverityColumn, severityName(severity));
  item->setData(SeverityColumn, kSeverityRole, static_cast<int>(severity));
  item->setText(SourceColumn, source);
  item->setText(MessageColumn, message);
  item->setToolTip(MessageColumn, message);
  m_list->scrollToItem(item);
  emit issueAdded(severity, message);
}

void IssuesPanel::addIssues(const std::vector<Issue>& issues) {
  for (const auto& issue : issues) {
    addIssue(issue.severity, QString::fromStdString(issue.source),
             QString::fromStdString(issue.message));
  }
}

void IssuesPanel::clear() { m_list->clear(); }

int IssuesPanel::count() const { return m_list->topLevelItemCount(); }

Severity IssuesPanel::severityAt(int row) const {
  const auto* item = m_list->topLevelItem(row);
  return item ? static_cast<Severity>(item->data(SeverityColumn, kSeverityRole).toInt())
              : Severity::Info;
}

QString IssuesPanel::messageAt(int row) const {
  const auto* item = m_list->topLevelItem(row);
  return item ? item->text(MessageColumn) : QString();
}

}  // namespace glasswing::studio
